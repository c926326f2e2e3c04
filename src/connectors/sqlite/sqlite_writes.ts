/**
 * The SQLite store's writes: the prepared idempotent statements and the transaction a batch runs
 * in (each record kind's bound values: sqlite_rows.ts). The tick writer thread
 * (sqlite_tick_writer_main.ts) shares the tick statement and the transaction, so both threads
 * write the same rows the same way; only type imports besides its own folder's, so that thread
 * loads few modules.
 * @module
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import type { Tick } from "../../market/tick.ts";
import type { StoreRecordKind } from "../store.ts";
import { preparePredictionWrite } from "./sqlite_predictions.ts";
import { forEachPackedTick, type PackedTicks } from "./packed_ticks.ts";

/**
 * How long opening and migrating wait for another connection's lock (two instances starting on
 * one file take turns instead of one failing with "database is locked").
 */
export const OPEN_BUSY_TIMEOUT_MS = 10_000;

/**
 * How long one batch write on the event loop may wait for another connection's lock before it
 * fails and is retried: the wait holds the whole event loop.
 */
export const WRITE_BUSY_TIMEOUT_MS = 200;

/**
 * The same in the tick writer thread, where a wait holds only that thread. Still short: when a
 * stop runs out of time with the file locked, every batch still draining is tried once before it
 * is given up (actors/sinks/store_sink.ts), and 200 ms each overran a 3 s stop
 * (tests/faults/sqlite_faults_test.ts, when all writes ran in a thread).
 */
export const THREAD_WRITE_BUSY_TIMEOUT_MS = 50;

/**
 * WAL pages past which the tick writer thread's commit checkpoints (SQLite's default: 1,000). The
 * raw ticks make most of the WAL; checkpointing every 4,000 pages (~16 MB of WAL, plus the
 * transaction that crosses it) instead of every 1,000 took the 2 M-tick replay with raw ticks
 * from 7.61 to 7.21 s (medians of 7 alternating runs), fewer syncs and fewer copies of the pages
 * rewritten between checkpoints. Below the event loop's connection's threshold
 * (sqlite_store.ts), so the thread, not a candle's commit, does them.
 */
export const THREAD_AUTOCHECKPOINT_PAGES = 4_000;

/** The prepared statements, one per record kind. */
export type SqliteWrites = Record<StoreRecordKind, StatementSync>;

/** Idempotent writes: ticks and alerts by key, candles and indicators keep the highest version. */
export function prepareWrites(db: DatabaseSync): SqliteWrites {
  return {
    predictions: preparePredictionWrite(db),
    ticks: prepareTickWrite(db),
    candles: db.prepare(
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
    indicators: db.prepare(
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
    alerts: db.prepare(
      `INSERT INTO alerts (id, venue, symbol, "interval", rule, severity, value, threshold,
         window_start, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    dead_letters: db.prepare(
      `INSERT INTO dead_letters (reason, detail, raw, source, ts) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
  };
}

/** The idempotent insert of a raw tick: a tick already stored (its key) is left as it is. */
export function prepareTickWrite(db: DatabaseSync): StatementSync {
  return db.prepare(
    `INSERT INTO ticks (source, symbol, id, price, size, ts, side) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  );
}

/** Runs `kind`'s statement for every row of bound values (inside the caller's transaction). */
export function writeRows(
  writes: SqliteWrites,
  kind: Exclude<StoreRecordKind, "ticks">,
  rows: readonly SQLInputValue[][],
): void {
  const s = writes[kind];
  for (const values of rows) s.run(...values);
}

/** Runs the tick statement for every tick (inside the caller's transaction). */
export function writeTickRows(writes: SqliteWrites, ticks: readonly Tick[]): void {
  const s = writes.ticks;
  for (const t of ticks) s.run(t.source, t.symbol, t.id, t.price, t.size, t.ts, t.side ?? null);
}

/** Runs the tick statement for every packed tick (inside the caller's transaction). */
export function writePackedTicks(statement: StatementSync, ticks: PackedTicks): void {
  forEachPackedTick(ticks, (source, symbol, id, price, size, ts, side) => {
    statement.run(source, symbol, id, price, size, ts, side);
  });
}

/** Runs `fn` in one write transaction: committed whole, or rolled back with its error thrown. */
export function inTransaction(db: DatabaseSync, fn: () => void): void {
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
