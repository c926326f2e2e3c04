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
  /** Taker side when the feed tells it. */
  readonly side?: Side;
}
