/**
 * In-progress candles for the dashboard: per symbol and interval, the window the newest tick fell
 * in, aggregated from the ticks the stream saw, of every venue: a preview of the charted venue's
 * candle (for the composite, an approximation — the composite combines the venues' candles). The pipeline's own aggregator emits only closed
 * windows; these are a live preview, replaced by the real candle once its window closes. Ticks of
 * an older window than the one in progress are left to the aggregator (late data revises the
 * closed candle, which the stream carries). Bounded by symbols × intervals.
 * @module
 */
import type { Candle } from "../market/candle.ts";
import type { Interval } from "../market/interval.ts";
import type { Tick } from "../market/tick.ts";

/** A candle still open: `version` 0. */
export type PartialCandle = Candle & { readonly version: 0 };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One open window, and whether it changed since the last take. */
interface Slot {
  c: Mutable<PartialCandle>;
  changed: boolean;
}

/** The open window per (symbol, interval). */
export class PartialCandles {
  readonly #intervals: readonly Interval[];
  readonly #maxSymbols: number;
  readonly #venue: string;
  readonly #open = new Map<string, Slot[]>();
  /** Slots changed since the last take, each once (a flag per slot: no set lookup per tick). */
  #changed: Slot[] = [];

  constructor(intervals: readonly Interval[], maxSymbols: number, venue: string) {
    this.#intervals = intervals;
    this.#maxSymbols = maxSymbols;
    this.#venue = venue;
  }

  add(t: Tick): void {
    let per = this.#open.get(t.symbol);
    if (!per) {
      // Beyond the bound start over: the preview is rebuilt from the next ticks.
      if (this.#open.size >= this.#maxSymbols) this.#open.clear();
      per = [];
      this.#open.set(t.symbol, per);
    }
    const size = t.size ?? 0;
    for (let i = 0; i < this.#intervals.length; i++) {
      const iv = this.#intervals[i];
      const start = Math.floor(t.ts / iv.ms) * iv.ms;
      const slot = per[i];
      if (!slot || start > slot.c.window_start) {
        // A fresh slot; the old one, if changed, still goes out with the next take.
        per[i] = { c: this.#fresh(t, iv.name, start, size), changed: false };
        this.#mark(per[i]);
      } else if (start === slot.c.window_start) {
        const c = slot.c;
        if (t.price > c.high) c.high = t.price;
        if (t.price < c.low) c.low = t.price;
        if (t.ts >= c.last_ts) {
          c.close = t.price;
          c.last_ts = t.ts;
        }
        if (t.ts < c.first_ts) {
          c.open = t.price;
          c.first_ts = t.ts;
        }
        c.volume += size;
        c.trades++;
        this.#mark(slot);
      }
    }
  }

  /** A closed candle arrived: its window is no longer in progress (for the previewed venue). */
  closed(c: Candle): void {
    if (c.venue !== this.#venue) return;
    const per = this.#open.get(c.symbol);
    const i = this.#intervals.findIndex((iv) => iv.name === c.interval);
    const slot = per?.[i];
    if (per && slot && slot.c.window_start <= c.window_start) {
      slot.changed = false;
      delete per[i];
    }
  }

  /** The candles changed since the last call. */
  takeChanged(): PartialCandle[] {
    const out: PartialCandle[] = [];
    for (const slot of this.#changed) {
      if (!slot.changed) continue;
      slot.changed = false;
      out.push({ ...slot.c });
    }
    this.#changed = [];
    return out;
  }

  #mark(slot: Slot): void {
    if (slot.changed) return;
    slot.changed = true;
    this.#changed.push(slot);
  }

  #fresh(t: Tick, interval: string, start: number, size: number): Mutable<PartialCandle> {
    return {
      venue: this.#venue,
      symbol: t.symbol,
      interval,
      window_start: start,
      open: t.price,
      high: t.price,
      low: t.price,
      close: t.price,
      volume: size,
      vwap: null,
      trades: 1,
      first_ts: t.ts,
      last_ts: t.ts,
      version: 0,
    };
  }
}
