/**
 * The ClickHouse store: candles, indicators, alerts and (optionally) raw ticks, one RowBinary
 * INSERT per batch. Re-writes are idempotent at read time: ReplacingMergeTree keeps the highest
 * `version` per key, and the queries in `queries.ts` read with FINAL (or argMax).
 * @module
 */
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import type { IndicatorRow } from "../../market/indicator_row.ts";
import type { Tick } from "../../market/tick.ts";
import { type Logger, silentLogger } from "../../logger.ts";
import { SinkMetrics } from "../sink_metrics.ts";
import { StoreError } from "../store_error.ts";
import type { Store, StoreRecordKind } from "../store.ts";
import {
  type ClickHouseStoreConfig,
  type ClickHouseStoreOptions,
  resolveClickHouseConfig,
} from "./clickhouse_config.ts";
import { toClickHouseError } from "./clickhouse_errors.ts";
import { upgradeClickHouse } from "./migrations.ts";
import { encodeRowBinary } from "./row_binary.ts";
import {
  ALERTS,
  CANDLES,
  INDICATORS,
  insertSql,
  schemaSql,
  type TableSpec,
  TICKS,
} from "./schema.ts";

/**
 * Writes to ClickHouse over HTTP. Each write resolves once the server acknowledged the INSERT and
 * throws a {@linkcode StoreError} whose `retriable` says whether the batch may be retried.
 *
 * @example
 * ```ts ignore
 * const store = new ClickHouseStore({ url: "http://127.0.0.1:8123", database: "crypto" });
 * await store.migrate();
 * await store.writeCandles(candles);
 * await store.close();
 * ```
 */
export class ClickHouseStore implements Store {
  readonly name = "clickhouse";
  readonly config: ClickHouseStoreConfig;
  /** The underlying client, for read queries (see `queries.ts`). */
  readonly client: ClickHouseClient;
  readonly #metrics: SinkMetrics;
  readonly #log: Logger;

  constructor(options: ClickHouseStoreOptions) {
    this.config = resolveClickHouseConfig(options);
    this.#metrics = new SinkMetrics(options.registry, "clickhouse");
    this.#log = (options.logger ?? silentLogger).child("clickhouse");
    const c = this.config;
    this.client = createClient({
      url: c.url,
      ...(c.username === undefined ? {} : { username: c.username }),
      ...(c.password === undefined ? {} : { password: c.password }),
      ...(c.caCert === undefined ? {} : { tls: { ca_cert: Buffer.from(c.caCert) } }),
      request_timeout: c.requestTimeoutMs,
      max_open_connections: c.maxConnections,
      // The client's own logger prints every failed request to the console; ours logs instead.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  /**
   * Creates the database and tables if missing and upgrades older tables (migrations.ts);
   * idempotent DDL, safe when instances race.
   */
  async migrate(): Promise<void> {
    const [database, ...tables] = schemaSql(this.config.database, { ticks: this.config.ticks });
    try {
      await this.client.command({ query: database });
      await upgradeClickHouse(this.client, this.config.database);
      for (const sql of tables) await this.client.command({ query: sql });
      this.#log.info("schema ready", { database: this.config.database });
    } catch (err) {
      throw toClickHouseError("create schema", err);
    }
  }

  /** Inserts candles; window starts must be whole seconds. */
  writeCandles(candles: readonly Candle[]): Promise<void> {
    for (const c of candles) {
      if (c.window_start % 1000 !== 0) {
        const err = new RangeError(`window_start ${c.window_start} is not a whole second`);
        return Promise.reject(new StoreError("clickhouse", "write candles", "fatal", err));
      }
    }
    return this.#insert(CANDLES, candles);
  }

  /** Inserts indicator rows. */
  writeIndicators(rows: readonly IndicatorRow[]): Promise<void> {
    return this.#insert(INDICATORS, rows);
  }

  /** Inserts alerts. */
  writeAlerts(alerts: readonly Alert[]): Promise<void> {
    return this.#insert(ALERTS, alerts);
  }

  /** Raw ticks only with the `ticks` option; everything else always. */
  accepts(kind: StoreRecordKind): boolean {
    return kind !== "ticks" || this.config.ticks;
  }

  /** Inserts raw ticks; needs the `ticks` option. */
  writeTicks(ticks: readonly Tick[]): Promise<void> {
    if (!this.config.ticks) {
      const err = new Error("the ticks table is disabled (option ticks: false)");
      return Promise.reject(new StoreError("clickhouse", "write ticks", "fatal", err));
    }
    return this.#insert(TICKS, ticks);
  }

  /** Closes the client's connections. */
  async close(): Promise<void> {
    await this.client.close();
  }

  #insert<R>(spec: TableSpec<R>, records: readonly R[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return this.#metrics.track(spec.name, records.length, async () => {
      const body = encodeRowBinary(spec.columns, records);
      const res = await this.client.exec({
        query: insertSql(this.config.database, spec),
        values: oneChunk(body),
      });
      await drain(res.stream);
    }, (err) => toClickHouseError(`write ${spec.name}`, err));
  }
}

function oneChunk(body: Uint8Array): Readable {
  let sent = false;
  return new Readable({
    read() {
      this.push(sent ? null : body);
      sent = true;
    },
  });
}

/** Consumes the (empty) INSERT response so the socket returns to the pool. */
function drain(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on("end", () => resolve());
    stream.on("error", reject);
    stream.resume();
  });
}
