/**
 * The HTTP read API (`/api/candles`, `/api/alerts`) over ClickHouse, for instances without an
 * embedded store: in Kafka mode every `process` instance writes its partitions' candles and
 * alerts to one shared ClickHouse, so any instance answers for every symbol (the SQLite reader of
 * one instance would know only its own partitions). Same answers as the SQLite reader: the latest
 * version of each candle, oldest first; alerts newest first.
 * @module
 */
import type { ClickHouseClient } from "@clickhouse/client";
import type { ReadApi } from "../read_api.ts";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import { queryRows, readLatestAlerts, readLatestCandles } from "./queries.ts";
import { sqlIdentifier } from "./sql_escape.ts";

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

  async candles(
    q: { venue: string; symbol: string; interval: string; limit: number },
  ): Promise<Candle[]> {
    const newestFirst = await readLatestCandles(this.#client, this.#database, q);
    return newestFirst.reverse();
  }

  alerts(q: { limit: number }): Promise<Alert[]> {
    return readLatestAlerts(this.#client, this.#database, { limit: q.limit });
  }

  async symbols(): Promise<string[]> {
    const rows = await queryRows(
      this.#client,
      `SELECT DISTINCT symbol FROM ${sqlIdentifier(this.#database)}.candles ORDER BY symbol`,
    );
    return rows.map((r) => String(r.symbol));
  }
}
