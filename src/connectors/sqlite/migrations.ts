/**
 * Versioned schema of the embedded SQLite store. Append new migrations; never edit an applied one.
 * @module
 */

/** One schema step. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** All migrations, in order. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial tables",
    sql: `
      CREATE TABLE ticks (
        source TEXT NOT NULL, symbol TEXT NOT NULL, id TEXT NOT NULL,
        price REAL NOT NULL, size REAL, ts INTEGER NOT NULL, side TEXT,
        PRIMARY KEY (source, symbol, id)
      ) WITHOUT ROWID;
      CREATE INDEX ticks_symbol_ts ON ticks (symbol, ts);
      CREATE TABLE candles (
        symbol TEXT NOT NULL, "interval" TEXT NOT NULL, window_start INTEGER NOT NULL,
        open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
        volume REAL NOT NULL, vwap REAL, trades INTEGER NOT NULL,
        first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, version INTEGER NOT NULL,
        PRIMARY KEY (symbol, "interval", window_start)
      ) WITHOUT ROWID;
      CREATE TABLE indicators (
        symbol TEXT NOT NULL, "interval" TEXT NOT NULL, window_start INTEGER NOT NULL,
        close REAL NOT NULL, sma REAL, ema_fast REAL, ema_slow REAL, rsi REAL,
        bb_upper REAL, bb_middle REAL, bb_lower REAL, volatility REAL, version INTEGER NOT NULL,
        PRIMARY KEY (symbol, "interval", window_start)
      ) WITHOUT ROWID;
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY, symbol TEXT NOT NULL, "interval" TEXT NOT NULL, rule TEXT NOT NULL,
        severity TEXT NOT NULL, value REAL NOT NULL, threshold REAL NOT NULL,
        window_start INTEGER NOT NULL, message TEXT NOT NULL
      );
      CREATE INDEX alerts_window ON alerts (window_start);
      CREATE TABLE dead_letters (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        reason TEXT NOT NULL, detail TEXT NOT NULL, raw TEXT NOT NULL, source TEXT NOT NULL,
        ts INTEGER NOT NULL,
        UNIQUE (source, reason, raw)
      );
    `,
  },
  {
    // One rule for duplicates with the candles (docs/analytics.md): a tick is (source, symbol,
    // id, ts), so an id a feed reuses at another time is another tick, kept and counted.
    version: 2,
    name: "ticks keyed by (source, symbol, id, ts)",
    sql: `
      CREATE TABLE ticks_v2 (
        source TEXT NOT NULL, symbol TEXT NOT NULL, id TEXT NOT NULL,
        price REAL NOT NULL, size REAL, ts INTEGER NOT NULL, side TEXT,
        PRIMARY KEY (source, symbol, id, ts)
      ) WITHOUT ROWID;
      INSERT INTO ticks_v2 (source, symbol, id, price, size, ts, side)
        SELECT source, symbol, id, price, size, ts, side FROM ticks;
      DROP TABLE ticks;
      ALTER TABLE ticks_v2 RENAME TO ticks;
      CREATE INDEX ticks_symbol_ts ON ticks (symbol, ts);
    `,
  },
];
