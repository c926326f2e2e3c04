/**
 * What the HTTP read API asks of a store. Implemented by the SQLite reader (synchronous) and,
 * for instances without an embedded store, the ClickHouse one (src/connectors/clickhouse/
 * clickhouse_read_api.ts); an instance with neither answers 503 for these endpoints.
 * @module
 */
import type { Alert } from "../market/alert.ts";
import type { Candle } from "../market/candle.ts";
import type { PredictionOutcome } from "../market/forecast/prediction_row.ts";

/** What {@linkcode ReadApi.candles} asks for. */
export interface CandlesQuery {
  readonly venue: string;
  readonly symbol: string;
  readonly interval: string;
  readonly limit: number;
  readonly before?: number;
}

/** What {@linkcode ReadApi.alerts} asks for. */
export interface AlertsQuery {
  /** The venue the alerts were raised on: `composite` (also the tick rules') or a feed. */
  readonly venue: string;
  readonly limit: number;
}

/** Read queries behind `/api/candles`, `/api/alerts` and `/api/predictions`. */
export interface ReadApi {
  /**
   * The most recent `limit` candles of one venue (latest version), oldest first; with `before`,
   * the most recent whose window starts before it (epoch ms), for loading older history page by
   * page.
   */
  candles(query: CandlesQuery): Candle[] | Promise<Candle[]>;
  /** The most recent `limit` alerts of one venue, newest first. */
  alerts(query: AlertsQuery): Alert[] | Promise<Alert[]>;
  /**
   * The most recent `limit` predictions of one series (every model, latest version), oldest
   * first, with the realised return once the target window has closed.
   */
  predictions(
    query: { venue: string; symbol: string; interval: string; limit: number },
  ): PredictionOutcome[] | Promise<PredictionOutcome[]>;
  /** Every symbol with stored candles. */
  symbols(): string[] | Promise<string[]>;
}
