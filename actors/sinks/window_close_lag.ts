/**
 * How long after its window closed a candle or alert was acknowledged by a store. A window closes
 * when the watermark (the newest event time seen minus the allowed lateness) passes its end, so on
 * a live feed, where event time follows the wall clock, that moment is `window end + allowed
 * lateness` on the wall clock; the lag is the acknowledgement's time minus that.
 * @module
 */
import { parseInterval } from "../../src/market/interval.ts";

/** Window lengths by interval name; null for names that are not intervals (tick-level alerts). */
const lengths = new Map<string, number | null>();

function lengthOf(interval: string): number | null {
  let ms = lengths.get(interval);
  if (ms === undefined) {
    try {
      ms = parseInterval(interval).ms;
    } catch {
      ms = null;
    }
    lengths.set(interval, ms);
  }
  return ms;
}

/** A row closing a window: a candle (first emission) or a candle rule's alert. */
export interface WindowRow {
  readonly interval: string;
  readonly window_start: number;
  /** Candles only: revisions by late ticks are not closes. */
  readonly version?: number;
}

/**
 * Seconds from each row's window close to `now` (epoch ms), passed to `observe`; rows that close
 * no window (revisions, tick-level alerts) are skipped.
 */
export function observeCloseLag(
  rows: readonly WindowRow[],
  now: number,
  allowedLatenessMs: number,
  observe: (seconds: number) => void,
): void {
  for (const r of rows) {
    if (r.version !== undefined && r.version !== 1) continue;
    const ms = lengthOf(r.interval);
    if (ms === null) continue;
    observe(Math.max(0, now - (r.window_start + ms + allowedLatenessMs)) / 1000);
  }
}
