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
  {
    // Candles per venue (docs/analytics.md): the venue joins the key. Rows written before the
    // upgrade mixed every feed's trades into one candle; they keep their values under the venue
    // `legacy`, so nothing is lost and nothing passes them off as one venue's or the composite.
    version: 3,
    name: "candles keyed by (venue, symbol, interval, window_start)",
    sql: `
      CREATE TABLE candles_v3 (
        venue TEXT NOT NULL,
        symbol TEXT NOT NULL, "interval" TEXT NOT NULL, window_start INTEGER NOT NULL,
        open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
        volume REAL NOT NULL, vwap REAL, trades INTEGER NOT NULL,
        first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, version INTEGER NOT NULL,
        instrument TEXT, constituents TEXT, excluded TEXT,
        PRIMARY KEY (venue, symbol, "interval", window_start)
      ) WITHOUT ROWID;
      INSERT INTO candles_v3 (venue, symbol, "interval", window_start, open, high, low, close,
          volume, vwap, trades, first_ts, last_ts, version)
        SELECT 'legacy', symbol, "interval", window_start, open, high, low, close,
          volume, vwap, trades, first_ts, last_ts, version FROM candles;
      DROP TABLE candles;
      ALTER TABLE candles_v3 RENAME TO candles;
    `,
  },
];
