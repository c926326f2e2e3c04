/**
 * The aggregator's per-symbol state: one slot of windows per interval, and the buckets that hold
 * seen ids and per-cell statistics.
 * @module
 */
import type { Interval } from "./interval.ts";
import type { TickBucket } from "./tick_bucket.ts";
import { TradeStats } from "./trade_stats.ts";

/** One window of one interval: its identity and emission state; the ticks' statistics are in cells. */
export interface Window {
  readonly start: number;
  readonly end: number;
  /** 0 until first emitted. */
  version: number;
  /**
   * Emitted early (by an end of input, before the watermark reached its end) and changed since:
   * emitted again, as a revision, when the watermark closes it.
   */
  revise: boolean;
  /**
   * Late ticks this window accepted but a shorter window rejected: they are not in the shared
   * cells. Rare, hence created on demand.
   */
  extra: TradeStats | null;
}

/** One interval's windows of one symbol. */
export interface Slot {
  readonly name: string;
  readonly ms: number;
  readonly order: number;
  /** Open and emitted-but-revisable windows, in no particular order (there are few). */
  windows: Window[];
  /** The window the last tick went to: the fast path. */
  cur: Window | null;
}

/** Everything the aggregator holds for one symbol of one venue. */
export interface SymbolState {
  /** The feed the ticks came from (the tick's `source`). */
  readonly venue: string;
  readonly symbol: string;
  readonly slots: Slot[];
  /** Bucket start (a multiple of the longest interval) → its seen ids and cells. */
  readonly buckets: Map<number, TickBucket>;
  /** Fast path: the bucket and cell the last tick went to. */
  last: TickBucket | null;
  cell: TradeStats | null;
  cellStart: number;
  /** Where every interval's current window is open: a tick in [openLo, openHi) skips the slots. */
  openLo: number;
  openHi: number;
  /** The same symbol's state for another venue (the aggregator's per-symbol chain). */
  nextVenue: SymbolState | undefined;
}

/**
 * Fresh state for a venue's symbol, with one empty slot per interval (in the given order),
 * chained before `nextVenue`.
 */
export function newSymbolState(
  venue: string,
  symbol: string,
  intervals: readonly Interval[],
  nextVenue?: SymbolState,
): SymbolState {
  return {
    venue,
    symbol,
    slots: intervals.map((i, order) => ({ name: i.name, ms: i.ms, order, windows: [], cur: null })),
    buckets: new Map(),
    last: null,
    cell: null,
    cellStart: NaN,
    // NaN: an empty range that is a double from the start, like the timestamps stored later.
    openLo: NaN,
    openHi: NaN,
    nextVenue,
  };
}

/** Re-derives the span where every slot's current window is open (empty when one is not). */
export function refreshOpenRange(st: SymbolState): void {
  let lo = -Infinity;
  let hi = Infinity;
  for (const slot of st.slots) {
    const cur = slot.cur;
    if (cur === null || cur.version !== 0) {
      st.openLo = st.openHi = NaN;
      return;
    }
    lo = Math.max(lo, cur.start);
    hi = Math.min(hi, cur.end);
  }
  st.openLo = lo;
  st.openHi = hi;
}

/**
 * The statistics of a window: its cells merged in time order, plus its own late extras. Done
 * only when emitting, so per tick only one cell is updated.
 */
export function windowStats(
  st: SymbolState,
  w: Window,
  cellMs: number,
  bucketMs: number,
): TradeStats {
  const stats = new TradeStats();
  for (let c = w.start; c < w.end; c += cellMs) {
    const cell = st.buckets.get(floorTo(c, bucketMs))?.findCell(c);
    if (cell !== undefined) stats.merge(cell);
  }
  if (w.extra !== null) stats.merge(w.extra);
  return stats;
}

// Division, not `%`: on epoch-ms doubles `%` is a slow fmod call, while the quotient of two
// integers below 2^53 floors exactly at these magnitudes.
/** floor(ts / ms) · ms. */
export function floorTo(ts: number, ms: number): number {
  return Math.floor(ts / ms) * ms;
}

/** Greatest common divisor of two positive integers. */
export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
