/**
 * The embedded default store: one SQLite file (`node:sqlite`, built into Deno), the same logical
 * tables as the server stores. WAL journal; every batch is one transaction.
 *
 * `node:sqlite` is synchronous: the writes run on the event loop, and a write waiting for another
 * process's lock holds all of it (HTTP, Kafka heartbeats, timers). So a write waits at most
 * {@linkcode WRITE_BUSY_TIMEOUT_MS} for a lock and then fails with a retriable error; the sink
 * retries it with backoff. Opening and migrating, before anything else runs, wait longer.
 *
 * Raw ticks, by far the most rows, can go through a thread of their own (`tickThread`,
 * sqlite_tick_writer.ts) with its own connection to the file: their inserts then run on another
 * core while the event loop goes on, which takes the embedded replay with raw ticks from about
 * half the speed of one without them to nearly the same (docs/storage.md). The sink keeps one
 * write in flight; a {@linkcode TICK_THREAD_SINK_MAILBOX} large enough to gather the next batch
 * meanwhile is what lets the two threads overlap. Everything else stays on the event loop: those
 * rows are few, and waited for (the candles' latency). Without raw ticks the thread still runs
 * the WAL checkpoints (`checkpointThread`): in a commit on the event loop they took a tenth of
 * the embedded replay's time.
 * @module
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import type { DeadLetter } from "../../market/dead_letter.ts";
import type { IndicatorRow } from "../../market/indicator_row.ts";
import type { PredictionRow } from "../../market/forecast/prediction_row.ts";
import type { Tick } from "../../market/tick.ts";
import { SinkMetrics } from "../sink_metrics.ts";
import type { Store, StoreRecordKind } from "../store.ts";
import type { Registry } from "../../telemetry/metrics.ts";
import type { Logger } from "../../logger.ts";
import { SQLITE_MIGRATIONS } from "./migrations.ts";
import { toSqliteError } from "./sqlite_errors.ts";
import { SqliteTickWriter } from "./sqlite_tick_writer.ts";
import { BOUND_VALUES } from "./sqlite_rows.ts";
import {
  inTransaction,
  OPEN_BUSY_TIMEOUT_MS,
  prepareWrites,
  type SqliteWrites,
  WRITE_BUSY_TIMEOUT_MS,
  writeRows,
  writeTickRows,
} from "./sqlite_writes.ts";

export { MAX_DEAD_LETTER_RAW } from "./sqlite_rows.ts";
export { OPEN_BUSY_TIMEOUT_MS, WRITE_BUSY_TIMEOUT_MS } from "./sqlite_writes.ts";

/** Options of {@linkcode SqliteStore}. */
export interface SqliteStoreOptions {
  /** File path, or `:memory:`. Parent directories are created. */
  readonly path: string;
  /** Where `pipeline_sink_*` metrics go; none: not published. */
  readonly registry?: Registry;
  /**
   * Raw ticks are written by a thread of their own (a file database only: another connection
   * cannot see a `:memory:` one). Default false.
   */
  readonly tickThread?: boolean;
  /**
   * WAL checkpoints run on that thread (started for them when ticks do not go there), not inside
   * a commit on the event loop (a file database only). Default false.
   */
  readonly checkpointThread?: boolean;
  /** Where a failing checkpoint thread is reported (its first failure, then its recovery). */
  readonly logger?: Logger;
}

/**
 * Rows committed on the event loop's connection between two checkpoint requests to the thread.
 * Measured on the 2 M-tick replay without raw ticks (~155 000 rows in ~450 commits): SQLite's own
 * checkpoints (every 1,000 WAL pages) took 0.5 s of the event loop's 5.5 s, up to 12 ms at once.
 */
export const CHECKPOINT_EVERY_ROWS = 2_000;

/**
 * The sink's mailbox (messages, and messages taken into one write) for a store with the tick
 * thread. While the thread commits one batch, the next gathers here, and the larger a tick
 * transaction the cheaper each row (a commit writes every page it touched, about one per symbol
 * and table). Measured on the 2 M-tick replay (50 symbols; a message is one window-stage batch,
 * ~60 ticks there, at most ~1,000): the default 64 gave writes of ~3,800 ticks and no gain over
 * the event loop; 256: 15 s; 512: 12 s at 285 MB peak RSS; 1,024: 11 s at 343 MB; the event loop
 * 21 s at 198 MB (docs/storage.md).
 */
export const TICK_THREAD_SINK_MAILBOX = 512;

/** WAL pages past which the event loop's connection checkpoints when the tick thread runs. */
export const EVENT_LOOP_AUTOCHECKPOINT_PAGES = 10_000;

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
  #statements?: SqliteWrites;
  /** The store's thread (`tickThread` or `checkpointThread`), started on first use. */
  readonly #thread: SqliteTickWriter | null;
  /** Raw ticks go to the thread; else, with a thread, the store asks it for checkpoints. */
  readonly #ticksOnThread: boolean;
  #rowsSinceCheckpoint = 0;
  #checkpointing = false;
  #checkpointFailing = false;
  #closing = false;
  readonly #log: Logger | undefined;
  readonly sinkMailbox: number | undefined;

  constructor(options: SqliteStoreOptions) {
    if ((options.tickThread || options.checkpointThread) && options.path === ":memory:") {
      throw new TypeError("SqliteStore: an in-memory database cannot have a thread");
    }
    if (options.path !== ":memory:") {
      const dir = options.path.replace(/[/\\][^/\\]*$/, "");
      if (dir && dir !== options.path) createDirectory(dir);
    }
    this.#db = new DatabaseSync(options.path);
    this.#metrics = new SinkMetrics(options.registry, "sqlite");
    this.#log = options.logger;
    // The busy timeout first: switching to WAL takes a lock another starting instance may hold.
    this.#db.exec(`PRAGMA busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    // Started on the first tick write or checkpoint, after migrate() created the table.
    const thread = this.#thread = options.tickThread || options.checkpointThread
      ? new SqliteTickWriter(options.path)
      : null;
    // With raw ticks on the thread, its own commits make most of the WAL and run the checkpoints
    // (SQLite's automatic ones, on its connection); without them, the store asks for them.
    this.#ticksOnThread = options.tickThread === true;
    this.sinkMailbox = options.tickThread ? TICK_THREAD_SINK_MAILBOX : undefined;
    this.blocksEventLoop = !options.tickThread;
    // The WAL grows mostly by the thread's commits; the commit that finds it past a connection's
    // threshold runs the checkpoint. On this connection that would be a candle write copying
    // pages of ticks on the event loop (a 100 ms candle seen at 10 k ticks/s), so the thread's
    // connection checkpoints at THREAD_AUTOCHECKPOINT_PAGES and this one only past 10,000 pages:
    // when no ticks come and no checkpoint request is answered, the WAL still stays bounded.
    if (thread) {
      this.#db.exec(`PRAGMA wal_autocheckpoint = ${EVENT_LOOP_AUTOCHECKPOINT_PAGES}`);
    }
  }

  /**
   * Writes run on the event loop: the sink gathers bulk rows for a few milliseconds (store_sink.ts).
   * Not with the tick thread: the bulk rows' writes are then in flight while the thread commits,
   * so the sink's natural batching works, and candles need not wait for the bulk rows' timer or a
   * gap after them (embedded at 10 k ticks/s: candle p99 24 ms against 50 ms with them).
   */
  readonly blocksEventLoop: boolean;

  /** The underlying connection, for the read API and tests. */
  get db(): DatabaseSync {
    return this.#db;
  }

  migrate(): Promise<void> {
    try {
      this.#migrate();
    } catch (e) {
      return Promise.reject(toSqliteError("migrate", e));
    }
    return Promise.resolve();
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
    this.#statements = prepareWrites(db);
    db.exec(`PRAGMA busy_timeout = ${WRITE_BUSY_TIMEOUT_MS}`);
  }

  writeTicks(ticks: readonly Tick[]): Promise<void> {
    const s = this.#writes();
    const writer = this.#ticksOnThread ? this.#thread : null;
    return this.#timed(
      "ticks",
      ticks.length,
      writer
        ? () => writer.write(ticks)
        : () => inTransaction(this.#db, () => writeTickRows(s, ticks)),
    );
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
    this.#closing = true;
    await this.#thread?.close();
    if (this.#db.isOpen) this.#db.close();
  }

  #writes(): SqliteWrites {
    if (!this.#statements) throw new Error("SqliteStore: call migrate() before writing");
    return this.#statements;
  }

  /** A batch of rows as bound values (sqlite_rows.ts). */
  #rows(kind: Exclude<StoreRecordKind, "ticks">, rows: SQLInputValue[][]): Promise<void> {
    const s = this.#writes();
    return this.#timed(kind, rows.length, () => {
      inTransaction(this.#db, () => writeRows(s, kind, rows));
      if (this.#thread && !this.#ticksOnThread) this.#checkpointAfter(rows.length);
    });
  }

  /**
   * Asks the thread for a checkpoint every {@linkcode CHECKPOINT_EVERY_ROWS} rows committed, one
   * at a time. One that fails leaves its frames in the WAL for the next (a thread that died is
   * replaced then); should the thread not keep up, this connection's own checkpoint at
   * {@linkcode EVENT_LOOP_AUTOCHECKPOINT_PAGES} bounds the WAL. A failure is logged when it starts
   * and when it ends, not at every request.
   */
  #checkpointAfter(rows: number): void {
    const thread = this.#thread!;
    this.#rowsSinceCheckpoint += rows;
    if (this.#checkpointing || this.#rowsSinceCheckpoint < CHECKPOINT_EVERY_ROWS) return;
    this.#rowsSinceCheckpoint = 0;
    this.#checkpointing = true;
    thread.checkpoint().then(
      () => {
        this.#checkpointing = false;
        if (!this.#checkpointFailing) return;
        this.#checkpointFailing = false;
        this.#log?.info("SQLite checkpoints on its thread work again");
      },
      (error) => {
        this.#checkpointing = false;
        if (this.#checkpointFailing || this.#closing) return; // closing: nothing to report
        this.#checkpointFailing = true;
        this.#log?.warn(
          `SQLite checkpoint on its thread failed; the WAL grows until one succeeds (the event loop's connection checkpoints past ${EVENT_LOOP_AUTOCHECKPOINT_PAGES} pages)`,
          { error },
        );
      },
    );
  }

  /**
   * One batch, on this connection (`write` returns nothing) or the tick thread (a promise),
   * counted in the sink metrics either way.
   */
  #timed(table: string, rows: number, write: () => void | Promise<void>): Promise<void> {
    const t0 = performance.now();
    const written = () => this.#metrics.written(table, rows, (performance.now() - t0) / 1000);
    const failed = (e: unknown) => Promise.reject(this.#failed(table, e));
    let pending: void | Promise<void>;
    try {
      pending = write();
    } catch (e) {
      return failed(e);
    }
    if (pending) return pending.then(written, failed);
    written();
    return Promise.resolve();
  }

  #failed(table: string, e: unknown): Error {
    const error = toSqliteError(`write ${table}`, e);
    this.#metrics.failed(error.kind);
    return error;
  }
}
