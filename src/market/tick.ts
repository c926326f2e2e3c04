/**
 * The tick: one trade or price observation, normalised at ingestion.
 * @module
 */

/** The taker's side of a trade. */
export type Side = "buy" | "sell";

/**
 * One trade (exchange feeds) or price observation (CoinCap).
 * `ts` is the event time, assigned once at ingestion and never changed afterwards.
 */
export interface Tick {
  /** Feed name, e.g. `coinbase`, `binance`, `simulator`. */
  readonly source: string;
  /** `BASE-QUOTE`, upper case, e.g. `BTC-USD`. */
  readonly symbol: string;
  /** Finite and > 0. */
  readonly price: number;
  /** ≥ 0, or null when the feed carries no size (CoinCap prices). */
  readonly size: number | null;
  /** Event time, epoch milliseconds (UTC). */
  readonly ts: number;
  /** Trade id or a per-source sequence; with source and symbol, the tick's identity. */
  readonly id: string;
  /**
   * `id` as `integerId` (tick_order.ts) reads it, −1 when it is not a canonical decimal integer.
   * The parser sets it while it scans the id anyway, so the candle aggregator, which needs the
   * number for every tick (duplicate detection, the open/close order), does not read the id's
   * characters a second time; absent, the aggregator computes it. It is derived from `id`: code
   * that makes a tick with another id must not copy it. Stores and encoders never write it.
   */
  readonly idNum?: number;
  /** Taker side when the feed tells it. */
  readonly side?: Side;
}
