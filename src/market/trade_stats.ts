/**
 * The running statistics of a set of ticks: everything a candle needs, mergeable.
 * @module
 */
import type { Candle } from "./candle.ts";
import { ExactSum } from "./exact_sum.ts";
import type { Tick } from "./tick.ts";
import { compareIds } from "./tick_order.ts";

/**
 * Open/high/low/close, count, first/last event time and exact Σ size and Σ price·size of some
 * ticks. Open and close follow the tick order (event time, then id, then source), high/low/count
 * are order-free and the sums exact, so the result is the same whatever order ticks are added or
 * stats merged in. The aggregator keeps one per finest cell of time and merges cells into
 * windows only when it emits, so a tick costs one update however many intervals there are.
 */
export class TradeStats {
  open = NaN;
  high = -Infinity;
  low = Infinity;
  close = NaN;
  trades = 0;
  readonly volume = new ExactSum();
  readonly notional = new ExactSum();
  // The first and last tick themselves (immutable records) rather than copies of their id and
  // source: one pointer store per update instead of two, which matters on the per-tick path.
  // ±Infinity rather than -1: doubles from the start, so the fields never change
  // representation (see ExactSum); any negative number means "not an integer id".
  #openTs = Infinity;
  #openNum = -Infinity;
  #openTick: Tick | null = null;
  #closeTs = -Infinity;
  #closeNum = -Infinity;
  #closeTick: Tick | null = null;

  /** Adds one (non-duplicate) tick; `num` is its `integerId()`. */
  add(tick: Tick, num: number): void {
    const price = tick.price;
    const ts = tick.ts;
    if (price > this.high) this.high = price;
    if (price < this.low) this.low = price;
    // Event time settles almost every tick; the id/source tie-break runs on equal times only.
    if (
      ts < this.#openTs ||
      (ts === this.#openTs && before(tick, num, this.#openTick!, this.#openNum))
    ) {
      this.open = price;
      this.#openTs = ts;
      this.#openNum = num;
      this.#openTick = tick;
    }
    if (
      ts > this.#closeTs ||
      (ts === this.#closeTs && before(this.#closeTick!, this.#closeNum, tick, num))
    ) {
      this.close = price;
      this.#closeTs = ts;
      this.#closeNum = num;
      this.#closeTick = tick;
    }
    this.trades++;
    const size = tick.size;
    if (size !== null) {
      this.volume.add(size);
      this.notional.add(price * size);
    }
  }

  /** Adds everything in `other`. */
  merge(other: TradeStats): void {
    if (other.trades === 0) return;
    if (other.high > this.high) this.high = other.high;
    if (other.low < this.low) this.low = other.low;
    const o = other.#openTick!;
    if (this.#openTick === null || before(o, other.#openNum, this.#openTick, this.#openNum)) {
      this.open = other.open;
      this.#openTs = other.#openTs;
      this.#openNum = other.#openNum;
      this.#openTick = o;
    }
    const c = other.#closeTick!;
    if (this.#closeTick === null || before(this.#closeTick, this.#closeNum, c, other.#closeNum)) {
      this.close = other.close;
      this.#closeTs = other.#closeTs;
      this.#closeNum = other.#closeNum;
      this.#closeTick = c;
    }
    this.trades += other.trades;
    this.volume.addSum(other.volume);
    this.notional.addSum(other.notional);
  }

  /** The candle of these ticks. */
  toCandle(
    venue: string,
    symbol: string,
    interval: string,
    windowStart: number,
    version: number,
  ): Candle {
    const volume = this.volume.value();
    return {
      venue,
      symbol,
      interval,
      window_start: windowStart,
      open: this.open,
      high: this.high,
      low: this.low,
      close: this.close,
      volume,
      vwap: volume > 0 ? this.notional.value() / volume : null,
      trades: this.trades,
      first_ts: this.#openTs,
      last_ts: this.#closeTs,
      version,
    };
  }
}

/**
 * Whether tick a comes strictly before tick b: event time, then id (as numbers when both
 * `integerId()`s are set, else `compareIds`), then source.
 */
function before(a: Tick, aNum: number, b: Tick, bNum: number): boolean {
  if (a.ts !== b.ts) return a.ts < b.ts;
  if (aNum >= 0 && bNum >= 0 && aNum !== bNum) return aNum < bNum;
  const c = a.id === b.id ? 0 : compareIds(a.id, b.id);
  return c !== 0 ? c < 0 : a.source < b.source;
}
