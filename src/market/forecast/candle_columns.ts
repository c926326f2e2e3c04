/**
 * A series' candles in window order with the numbers every forecast scans kept beside them.
 * @module
 */
import { logReturn } from "./log_returns.ts";
import type { WindowCandle } from "./window_candle.ts";

/**
 * The candles of one series, ascending by window start, and per candle in typed arrays: its
 * window start, its version, its close and its log return ln(closeₖ/closeₖ₋₁) (NaN for the first). A return
 * depends on its two candles only, so it is taken once per candle (and again when either is
 * replaced) instead of once per forecast for each of the window's candles; the scans over window
 * starts and versions read flat arrays instead of one object per candle. Every value is exactly
 * what the same arithmetic over the candles gives.
 *
 * @example
 * ```ts
 * import { CandleColumns } from "./candle_columns.ts";
 * const c = (window_start: number, close: number) => ({ window_start, high: close, low: close, close, volume: 0, version: 1 });
 * const cols = CandleColumns.of([c(0, 100), c(60_000, 110)]);
 * cols.ret[1]; // ln 1.1
 * ```
 */
export class CandleColumns {
  readonly candles: WindowCandle[] = [];
  start: Float64Array;
  version: Float64Array;
  close: Float64Array;
  ret: Float64Array;

  constructor(capacity = 64) {
    this.start = new Float64Array(capacity);
    this.version = new Float64Array(capacity);
    this.close = new Float64Array(capacity);
    this.ret = new Float64Array(capacity);
  }

  /** Columns of `candles`, which must be ascending by window start. */
  static of(candles: readonly WindowCandle[]): CandleColumns {
    const cols = new CandleColumns(Math.max(1, candles.length));
    for (const c of candles) cols.put(cols.length, c, false);
    return cols;
  }

  get length(): number {
    return this.candles.length;
  }

  /**
   * Puts `candle` at index `at`: in place of the candle there (`replace`) or inserted before it;
   * the caller keeps the window starts ascending.
   */
  put(at: number, candle: WindowCandle, replace: boolean): void {
    const cs = this.candles;
    if (replace) cs[at] = candle;
    else {
      cs.splice(at, 0, candle);
      if (cs.length > this.start.length) this.#grow(2 * cs.length);
      for (const col of [this.start, this.version, this.close, this.ret]) {
        col.copyWithin(at + 1, at, cs.length - 1);
      }
    }
    this.start[at] = candle.window_start;
    this.version[at] = candle.version;
    this.close[at] = candle.close;
    this.ret[at] = at === 0 ? NaN : logReturn(cs[at - 1].close, candle.close);
    if (at + 1 < cs.length) this.ret[at + 1] = logReturn(candle.close, cs[at + 1].close);
  }

  /** Drops the first `n` candles. */
  dropFirst(n: number): void {
    if (n <= 0) return;
    const cs = this.candles;
    cs.splice(0, n);
    for (const col of [this.start, this.version, this.close, this.ret]) {
      col.copyWithin(0, n, cs.length + n);
    }
    // The new first candle's return reached back to a candle no longer held.
    this.ret[0] = NaN;
  }

  /** The first index in [0, `to`] whose window start is ≥ `from` (`to` when none before it is). */
  firstAtOrAfter(from: number, to: number): number {
    let lo = 0, hi = to;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.start[mid] >= from) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  #grow(capacity: number): void {
    const grow = (col: Float64Array) => {
      const next = new Float64Array(capacity);
      next.set(col);
      return next;
    };
    this.start = grow(this.start);
    this.version = grow(this.version);
    this.close = grow(this.close);
    this.ret = grow(this.ret);
  }
}
