/**
 * The embedded default store: one SQLite file (`node:sqlite`, built into Deno), the same logical
 * tables as the server stores. One connection, WAL journal; every batch is one transaction.
 *
 * `node:sqlite` is synchronous: a write waiting for another process's lock holds the whole event
 * loop (HTTP, Kafka heartbeats, timers). So a write waits at most {@linkcode WRITE_BUSY_TIMEOUT_MS}
 * for a lock and then fails with a retriable error; the sink retries it with backoff, off the
 * event loop. Opening and migrating, before anything else runs, wait longer.
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import { constituentsText, excludedText } from "../../market/composite_fields.ts";
import type { DeadLetter } from "../../market/dead_letter.ts";
import type { IndicatorRow } from "../../market/indicator_row.ts";
import type { PredictionRow } from "../../market/forecast/prediction_row.ts";
import type { Tick } from "../../market/tick.ts";
import { SinkMetrics } from "../sink_metrics.ts";
import type { Store } from "../store.ts";
import type { Registry } from "../../telemetry/metrics.ts";
import { SQLITE_MIGRATIONS } from "./migrations.ts";
import { toSqliteError } from "./sqlite_errors.ts";
import { preparePredictionWrite, writePredictionRows } from "./sqlite_predictions.ts";

/** Options of {@linkcode SqliteStore}. */
export interface SqliteStoreOptions {
  /** File path, or `:memory:`. Parent directories are created. */
  readonly path: string;
  /** Where `pipeline_sink_*` metrics go; none: not published. */
  readonly registry?: Registry;
}

/** Largest raw payload kept in `dead_letters`; longer ones are cut (the reason says why anyway). */
export const MAX_DEAD_LETTER_RAW = 65_536;

/**
 * How long opening and migrating wait for another connection's lock (two instances starting on
 * one file take turns instead of one failing with "database is locked").
 */
export const OPEN_BUSY_TIMEOUT_MS = 10_000;

/** How long one batch write may hold the event loop waiting for a lock before it is retried. */
export const WRITE_BUSY_TIMEOUT_MS = 200;

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
  readonly blocksEventLoop = true;
  readonly #db: DatabaseSync;
  readonly #metrics: SinkMetrics;
  #statements?: ReturnType<typeof prepareWrites>;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ":memory:") {
      const dir = options.path.replace(/[/\\][^/\\]*$/, "");
      if (dir && dir !== options.path) createDirectory(dir);
    }
    this.#db = new DatabaseSync(options.path);
    this.#metrics = new SinkMetrics(options.registry, "sqlite");
    // The busy timeout first: switching to WAL takes a lock another starting instance may hold.
    this.#db.exec(`PRAGMA busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  }

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
      this.#transaction(() => {
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
    const s = this.#writes().tick;
    return this.#batch("ticks", ticks.length, () => {
      for (const t of ticks) {
        s.run(t.source, t.symbol, t.id, t.price, t.size, t.ts, t.side ?? null);
      }
    });
  }

  writeCandles(candles: readonly Candle[]): Promise<void> {
    const s = this.#writes().candle;
    return this.#batch("candles", candles.length, () => {
      for (const c of candles) {
        s.run(
          c.venue,
          c.symbol,
          c.interval,
          c.window_start,
          c.open,
          c.high,
          c.low,
          c.close,
          c.volume,
          c.vwap,
          c.trades,
          c.first_ts,
          c.last_ts,
          c.version,
          c.instrument ?? null,
          constituentsText(c),
          excludedText(c),
        );
      }
    });
  }

  writeIndicators(rows: readonly IndicatorRow[]): Promise<void> {
    const s = this.#writes().indicator;
    return this.#batch("indicators", rows.length, () => {
      for (const r of rows) {
        s.run(
          r.venue,
          r.symbol,
          r.interval,
          r.window_start,
          r.close,
          r.sma,
          r.ema_fast,
          r.ema_slow,
          r.rsi,
          r.bb_upper,
          r.bb_middle,
          r.bb_lower,
          r.volatility,
          r.version,
        );
      }
    });
  }

  writeAlerts(alerts: readonly Alert[]): Promise<void> {
    const s = this.#writes().alert;
    return this.#batch("alerts", alerts.length, () => {
      for (const a of alerts) {
        s.run(
          a.id,
          a.venue,
          a.symbol,
          a.interval,
          a.rule,
          a.severity,
          a.value,
          a.threshold,
          a.window_start,
          a.message,
        );
      }
    });
  }

  writePredictions(rows: readonly PredictionRow[]): Promise<void> {
    const s = this.#writes().prediction;
    return this.#batch("predictions", rows.length, () => writePredictionRows(s, rows));
  }

  writeDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    const s = this.#writes().deadLetter;
    return this.#batch("dead_letters", letters.length, () => {
      for (const d of letters) {
        s.run(d.reason, d.detail, d.raw.slice(0, MAX_DEAD_LETTER_RAW), d.source, d.ts);
      }
    });
  }

  close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
    return Promise.resolve();
  }

  #writes(): ReturnType<typeof prepareWrites> {
    if (!this.#statements) throw new Error("SqliteStore: call migrate() before writing");
    return this.#statements;
  }

  /** One batch: a transaction, counted in the sink metrics; failures as a StoreError. */
  #batch(table: string, rows: number, fn: () => void): Promise<void> {
    const t0 = performance.now();
    try {
      this.#transaction(fn);
    } catch (e) {
      const error = toSqliteError(`write ${table}`, e);
      this.#metrics.failed(error.kind);
      return Promise.reject(error);
    }
    this.#metrics.written(table, rows, (performance.now() - t0) / 1000);
    return Promise.resolve();
  }

  #transaction(fn: () => void): void {
    const db = this.#db;
    db.exec("BEGIN IMMEDIATE");
    try {
      fn();
      db.exec("COMMIT");
    } catch (e) {
      // SQLite rolls back by itself after some errors (a full disk, an I/O error, a failed
      // COMMIT): a ROLLBACK then fails with "no transaction is active" and would hide the cause.
      if (db.isTransaction) {
        try {
          db.exec("ROLLBACK");
        } catch {
          // The original error is the one to report.
        }
      }
      throw e;
    }
  }
}

/** Idempotent writes: ticks and alerts by key, candles and indicators keep the highest version. */
function prepareWrites(db: DatabaseSync): Record<
  "tick" | "candle" | "indicator" | "alert" | "prediction" | "deadLetter",
  StatementSync
> {
  return {
    prediction: preparePredictionWrite(db),
    tick: db.prepare(
      `INSERT INTO ticks (source, symbol, id, price, size, ts, side) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
    candle: db.prepare(
      `INSERT INTO candles (venue, symbol, "interval", window_start, open, high, low, close,
         volume, vwap, trades, first_ts, last_ts, version, instrument, constituents, excluded)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (venue, symbol, "interval", window_start) DO UPDATE SET
         open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
         volume = excluded.volume, vwap = excluded.vwap, trades = excluded.trades,
         first_ts = excluded.first_ts, last_ts = excluded.last_ts, version = excluded.version,
         instrument = excluded.instrument, constituents = excluded.constituents, excluded = excluded.excluded
       WHERE excluded.version > candles.version`,
    ),
    indicator: db.prepare(
      `INSERT INTO indicators (venue, symbol, "interval", window_start, close, sma, ema_fast,
         ema_slow, rsi, bb_upper, bb_middle, bb_lower, volatility, version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (venue, symbol, "interval", window_start) DO UPDATE SET
         close = excluded.close, sma = excluded.sma, ema_fast = excluded.ema_fast,
         ema_slow = excluded.ema_slow, rsi = excluded.rsi, bb_upper = excluded.bb_upper,
         bb_middle = excluded.bb_middle, bb_lower = excluded.bb_lower,
         volatility = excluded.volatility, version = excluded.version
       WHERE excluded.version > indicators.version`,
    ),
    alert: db.prepare(
      `INSERT INTO alerts (id, venue, symbol, "interval", rule, severity, value, threshold,
         window_start, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    deadLetter: db.prepare(
      `INSERT INTO dead_letters (reason, detail, raw, source, ts) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
  };
}
