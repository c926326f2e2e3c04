/**
 * What the HTTP read API asks of a store. Implemented by the SQLite reader; a deployment without
 * an embedded store answers 503 for these endpoints.
 * @module
 */
import type { Alert } from "../market/alert.ts";
import type { Candle } from "../market/candle.ts";

/** Read queries behind `/api/candles` and `/api/alerts`. */
export interface ReadApi {
  /** The most recent `limit` candles (latest version), oldest first. */
  candles(query: { symbol: string; interval: string; limit: number }): Candle[];
  /** The most recent `limit` alerts, newest first. */
  alerts(query: { limit: number }): Alert[];
  /** Every symbol with stored candles. */
  symbols(): string[];
}
