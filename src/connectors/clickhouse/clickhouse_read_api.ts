/**
 * The HTTP read API (`/api/candles`, `/api/alerts`) over ClickHouse, for instances without an
 * embedded store: in Kafka mode every `process` instance writes its partitions' candles and
 * alerts to one shared ClickHouse, so any instance answers for every symbol (the SQLite reader of
 * one instance would know only its own partitions). Same answers as the SQLite reader: the latest
 * version of each candle, oldest first; alerts newest first.
 * @module
 */
import type { ClickHouseClient } from "@clickhouse/client";
import type { AlertsQuery, CandlesQuery, ReadApi } from "../read_api.ts";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import { queryRows, readLatestAlerts, readLatestCandles } from "./queries.ts";
import { sqlIdentifier } from "./sql_escape.ts";
import { type PredictionQuery, readLatestPredictions } from "./prediction_table.ts";
import { type PredictionOutcome, realisedReturn } from "../../market/forecast/prediction_row.ts";
import { parseInterval } from "../../market/interval.ts";

/**
 * {@linkcode ReadApi} over the ClickHouse tables of `database` (src/connectors/clickhouse/
 * schema.ts). Queries run on the given client; closing it is its owner's business.
 *
 * @example
 * ```ts ignore
 * const store = new ClickHouseStore({ url, database: "crypto" });
 * const read = new ClickHouseReadApi(store.client, "crypto");
 * await read.candles({ symbol: "BTC-USD", interval: "1m", limit: 100 });
 * ```
 */
export class ClickHouseReadApi implements ReadApi {
  readonly #client: ClickHouseClient;
  readonly #database: string;

  constructor(client: ClickHouseClient, database: string) {
    this.#client = client;
    this.#database = database;
  }

  async candles(q: CandlesQuery): Promise<Candle[]> {
    const newestFirst = await readLatestCandles(this.#client, this.#database, {
      venue: q.venue,
      symbol: q.symbol,
      interval: q.interval,
      limit: q.limit,
      ...(q.before === undefined ? {} : { toMs: q.before }),
    });
    return newestFirst.reverse();
  }

  /**
   * Predictions with their realised returns: the candles they need are read in one range query
   * and joined here (ClickHouse 18.16's JOIN needs equal column names on both sides).
   */
  async predictions(q: PredictionQuery): Promise<PredictionOutcome[]> {
    const rows = (await readLatestPredictions(this.#client, this.#database, q)).reverse();
    if (rows.length === 0) return [];
    const fromMs = Math.min(...rows.map((r) => r.window_start));
    const toMs = Math.max(...rows.map((r) => r.target_window_start)) + 1000;
    const intervalMs = parseInterval(q.interval).ms;
    const candles = await readLatestCandles(this.#client, this.#database, {
      venue: q.venue,
      symbol: q.symbol,
      interval: q.interval,
      fromMs,
      toMs,
      limit: Math.ceil((toMs - fromMs) / intervalMs) + 1,
    });
    const close = new Map(candles.map((c) => [c.window_start, c.close]));
    return rows.map((r) => ({
      ...r,
      realised_return: realisedReturn(
        close.get(r.window_start) ?? null,
        close.get(r.target_window_start) ?? null,
      ),
    }));
  }

  alerts(q: AlertsQuery): Promise<Alert[]> {
    return readLatestAlerts(this.#client, this.#database, { venue: q.venue, limit: q.limit });
  }

  symbols(): Promise<string[]> {
    return this.#distinct("symbol");
  }

  /** The venues with stored candles (the composite and `legacy` included). */
  venues(): Promise<string[]> {
    return this.#distinct("venue");
  }

  async #distinct(column: "symbol" | "venue"): Promise<string[]> {
    const rows = await queryRows(
      this.#client,
      `SELECT DISTINCT ${column} FROM ${sqlIdentifier(this.#database)}.candles ORDER BY ${column}`,
    );
    return rows.map((r) => String(r[column]));
  }
}
