/**
 * Read queries over the embedded SQLite store, for the HTTP API and tests.
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import type { ReadApi } from "../read_api.ts";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import { compositeFields } from "../../market/composite_fields.ts";

type StoredCandle = Omit<Candle, "instrument" | "constituents" | "excluded"> & {
  instrument: string | null;
  constituents: string | null;
  excluded: string | null;
};

/** {@linkcode ReadApi} over a migrated SQLite database. */
export class SqliteReader implements ReadApi {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  candles(q: { venue: string; symbol: string; interval: string; limit: number }): Candle[] {
    const rows = this.#db.prepare(
      `SELECT venue, symbol, "interval", window_start, open, high, low, close, volume, vwap,
              trades, first_ts, last_ts, version, instrument, constituents, excluded
       FROM candles WHERE venue = ? AND symbol = ? AND "interval" = ?
       ORDER BY window_start DESC LIMIT ?`,
    ).all(q.venue, q.symbol, q.interval, q.limit) as unknown as StoredCandle[];
    return rows.reverse().map(({ instrument, constituents, excluded, ...c }) => ({
      ...c,
      ...(instrument === null ? {} : { instrument }),
      ...compositeFields(constituents, excluded),
    }));
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
