/**
 * The embedded default store: one SQLite file (`node:sqlite`, built into Deno), the same logical
 * tables as the server stores. WAL journal; every batch is one transaction.
 *
 * `node:sqlite` is synchronous. With `writer: "thread"` (a file only) the writes run on a
 * connection of their own in a writer thread (sqlite_writer_thread.ts), and the event loop only
 * packs and posts each batch; the connection here then only reads (the read API) and migrates. The
 * pipeline does not use it: on the shared 2-core machines it lengthened the candles' latency tail
 * and did not speed the replay (docs/storage.md). With `writer: "event-loop"` (the default) the
 * writes run here, and a write waiting for another process's lock holds the whole event loop (HTTP,
 * Kafka heartbeats, timers). A write waits at most {@linkcode WRITE_BUSY_TIMEOUT_MS} for a lock
 * (in the thread {@linkcode THREAD_WRITE_BUSY_TIMEOUT_MS}) and then fails with a retriable error;
 * the sink retries it with backoff. Opening and migrating, before anything else runs, wait longer.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import type { DeadLetter } from "../../market/dead_letter.ts";
import type { IndicatorRow } from "../../market/indicator_row.ts";
import type { PredictionRow } from "../../market/forecast/prediction_row.ts";
import type { Tick } from "../../market/tick.ts";
import { SinkMetrics } from "../sink_metrics.ts";
import type { Store } from "../store.ts";
import type { Registry } from "../../telemetry/metrics.ts";
import { SQLITE_MIGRATIONS } from "./migrations.ts";
import { packTicks } from "./packed_ticks.ts";
import { toSqliteError } from "./sqlite_errors.ts";
import { SqliteWriterThread } from "./sqlite_writer_thread.ts";
import { BOUND_VALUES } from "./sqlite_rows.ts";
import {
  inTransaction,
  OPEN_BUSY_TIMEOUT_MS,
  prepareWrites,
  type SqliteWrites,
  WRITE_BUSY_TIMEOUT_MS,
  type WriteBatch,
  writeBatch,
  writeTickRows,
} from "./sqlite_writes.ts";

export { MAX_DEAD_LETTER_RAW } from "./sqlite_rows.ts";
export {
  OPEN_BUSY_TIMEOUT_MS,
  THREAD_WRITE_BUSY_TIMEOUT_MS,
  WRITE_BUSY_TIMEOUT_MS,
} from "./sqlite_writes.ts";

/** Options of {@linkcode SqliteStore}. */
export interface SqliteStoreOptions {
  /** File path, or `:memory:`. Parent directories are created. */
  readonly path: string;
  /** Where `pipeline_sink_*` metrics go; none: not published. */
  readonly registry?: Registry;
  /**
   * Where writes run: `thread`, a writer thread with its own connection (a file only), or
   * `event-loop`, this connection on the caller's thread. Default `event-loop`.
   */
  readonly writer?: "thread" | "event-loop";
}

/**
 * Creates the database's directory when it is missing. Under `deno task start` the pipeline may
 * write only its database files, and their directory only when it did not exist at launch
 * (src/config/permissions.ts): for an existing directory Deno refuses the mkdir (NotCapable)
 * before looking, and there is nothing to create. A directory that is missing and not granted
 * shows as SQLite's "unable to open database file" next.
 */
function createDirectory(dir: string): void {
  try {
    Deno.mkdirSync(dir, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotCapable)) throw e;
  }
}

/** The embedded SQLite store. */
export class SqliteStore implements Store {
  readonly name = "sqlite";
  readonly #db: DatabaseSync;
  readonly #metrics: SinkMetrics;
  /** The writer thread; null when writes run on this connection. */
  readonly #thread: SqliteWriterThread | null;
  #statements?: SqliteWrites;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ":memory:") {
      const dir = options.path.replace(/[/\\][^/\\]*$/, "");
      if (dir && dir !== options.path) createDirectory(dir);
    } else if (options.writer === "thread") {
      throw new TypeError(
        "SqliteStore: an in-memory database has no writer thread (one connection)",
      );
    }
    this.#db = new DatabaseSync(options.path);
    this.#metrics = new SinkMetrics(options.registry, "sqlite");
    this.#thread = options.writer === "thread" ? new SqliteWriterThread(options.path) : null;
    // The busy timeout first: switching to WAL takes a lock another starting instance may hold.
    this.#db.exec(`PRAGMA busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  }

  /**
   * True when writes run on the event loop: the sink then gathers bulk rows for a few milliseconds
   * (actors/sinks/store_sink.ts); with the writer thread it batches naturally.
   */
  get blocksEventLoop(): boolean {
    return this.#thread === null;
  }

  /** The underlying connection, for the read API and tests. */
  get db(): DatabaseSync {
    return this.#db;
  }

  async migrate(): Promise<void> {
    try {
      this.#migrate();
      await this.#thread?.open();
    } catch (e) {
      throw toSqliteError("migrate", e);
    }
  }

  #migrate(): void {
    const db = this.#db;
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    const applied = new Set(
      db.prepare("SELECT version FROM schema_migrations").all().map((r) => Number(r.version)),
    );
    const isApplied = db.prepare("SELECT 1 FROM schema_migrations WHERE version = ?");
    for (const m of SQLITE_MIGRATIONS) {
      if (applied.has(m.version)) continue;
      inTransaction(db, () => {
        // Asked again under the write lock: another process opening the same new file may have
        // applied it since the read above.
        if (isApplied.get(m.version)) return;
        db.exec(m.sql);
        db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
          .run(m.version, m.name, Date.now());
      });
    }
    if (this.#thread === null) this.#statements = prepareWrites(db);
    db.exec(`PRAGMA busy_timeout = ${WRITE_BUSY_TIMEOUT_MS}`);
  }

  writeTicks(ticks: readonly Tick[]): Promise<void> {
    if (this.#thread !== null) {
      const packed = packTicks(ticks);
      return this.#post("ticks", ticks.length, { kind: "ticks", ticks: packed }, [
        packed.numbers.buffer as ArrayBuffer,
      ]);
    }
    const s = this.#writes();
    return this.#batch("ticks", ticks.length, () => writeTickRows(s, ticks));
  }

  writeCandles(candles: readonly Candle[]): Promise<void> {
    return this.#rows("candles", candles.map(BOUND_VALUES.candles));
  }

  writeIndicators(rows: readonly IndicatorRow[]): Promise<void> {
    return this.#rows("indicators", rows.map(BOUND_VALUES.indicators));
  }

  writeAlerts(alerts: readonly Alert[]): Promise<void> {
    return this.#rows("alerts", alerts.map(BOUND_VALUES.alerts));
  }

  writePredictions(rows: readonly PredictionRow[]): Promise<void> {
    return this.#rows("predictions", rows.map(BOUND_VALUES.predictions));
  }

  writeDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    return this.#rows("dead_letters", letters.map(BOUND_VALUES.dead_letters));
  }

  async close(): Promise<void> {
    await this.#thread?.close();
    if (this.#db.isOpen) this.#db.close();
  }

  #writes(): SqliteWrites {
    if (!this.#statements) throw new Error("SqliteStore: call migrate() before writing");
    return this.#statements;
  }

  /** A batch of rows as bound values, written here or by the thread. */
  #rows(
    kind: Exclude<WriteBatch["kind"], "ticks">,
    rows: Extract<WriteBatch, { rows: unknown }>["rows"],
  ): Promise<void> {
    const batch: WriteBatch = { kind, rows };
    if (this.#thread !== null) return this.#post(kind, rows.length, batch, []);
    const s = this.#writes();
    return this.#batch(kind, rows.length, () => writeBatch(s, batch));
  }

  /** One batch on this connection: a transaction, counted in the sink metrics. */
  #batch(table: string, rows: number, fn: () => void): Promise<void> {
    const t0 = performance.now();
    try {
      inTransaction(this.#db, fn);
    } catch (e) {
      return Promise.reject(this.#failed(table, e));
    }
    this.#metrics.written(table, rows, (performance.now() - t0) / 1000);
    return Promise.resolve();
  }

  /** One batch through the writer thread, acknowledged once committed there. */
  async #post(table: string, rows: number, batch: WriteBatch, transfer: ArrayBuffer[]) {
    const t0 = performance.now();
    try {
      await this.#thread!.write(batch, transfer);
    } catch (e) {
      throw this.#failed(table, e);
    }
    this.#metrics.written(table, rows, (performance.now() - t0) / 1000);
  }

  #failed(table: string, e: unknown): Error {
    const error = toSqliteError(`write ${table}`, e);
    this.#metrics.failed(error.kind);
    return error;
  }
}
