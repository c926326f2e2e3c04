/**
 * Read queries over the embedded SQLite store, for the HTTP API and tests.
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import type { CandlesQuery, ReadApi } from "../read_api.ts";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";

/** {@linkcode ReadApi} over a migrated SQLite database. */
export class SqliteReader implements ReadApi {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  candles(q: CandlesQuery): Candle[] {
    const rows = this.#db.prepare(
      `SELECT symbol, "interval", window_start, open, high, low, close, volume, vwap, trades,
              first_ts, last_ts, version
       FROM candles WHERE symbol = ? AND "interval" = ? AND window_start < ?
       ORDER BY window_start DESC LIMIT ?`,
    ).all(
      q.symbol,
      q.interval,
      q.before ?? Number.MAX_SAFE_INTEGER,
      q.limit,
    ) as unknown as Candle[];
    return rows.reverse().map((r) => ({ ...r }));
  }

  symbols(): string[] {
    return this.#db.prepare("SELECT DISTINCT symbol FROM candles ORDER BY symbol").all()
      .map((r) => String(r.symbol));
  }

  alerts(q: { limit: number }): Alert[] {
    return (this.#db.prepare(
      `SELECT id, symbol, "interval", rule, severity, value, threshold, window_start, message
       FROM alerts ORDER BY window_start DESC, id DESC LIMIT ?`,
    ).all(q.limit) as unknown as Alert[]).map((r) => ({ ...r }));
  }
}
