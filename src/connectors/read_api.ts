/**
 * What the HTTP read API asks of a store. Implemented by the SQLite reader (synchronous) and,
 * for instances without an embedded store, the ClickHouse one (src/connectors/clickhouse/
 * clickhouse_read_api.ts); an instance with neither answers 503 for these endpoints.
 * @module
 */
import type { Alert } from "../market/alert.ts";
import type { Candle } from "../market/candle.ts";

/** Read queries behind `/api/candles` and `/api/alerts`. */
export interface ReadApi {
  /** The most recent `limit` candles of one venue (latest version), oldest first. */
  candles(
    query: { venue: string; symbol: string; interval: string; limit: number },
  ): Candle[] | Promise<Candle[]>;
  /** The most recent `limit` alerts, newest first. */
  alerts(query: { limit: number }): Alert[] | Promise<Alert[]>;
  /** Every symbol with stored candles. */
  symbols(): string[] | Promise<string[]>;
}
