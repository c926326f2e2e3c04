/**
 * Read queries over the embedded SQLite store, for the HTTP API and tests.
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import type { AlertsQuery, CandlesQuery, ReadApi } from "../read_api.ts";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import { compositeFields } from "../../market/composite_fields.ts";
import {
  type PredictionOutcome,
  type PredictionRow,
  realisedReturn,
} from "../../market/forecast/prediction_row.ts";

type StoredCandle = Omit<Candle, "instrument" | "constituents" | "excluded"> & {
  instrument: string | null;
  constituents: string | null;
  excluded: string | null;
};

type StoredOutcome = PredictionRow & { base_close: number | null; target_close: number | null };

/** {@linkcode ReadApi} over a migrated SQLite database. */
export class SqliteReader implements ReadApi {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  candles(q: CandlesQuery): Candle[] {
    const rows = this.#db.prepare(
      `SELECT venue, symbol, "interval", window_start, open, high, low, close, volume, vwap,
              trades, first_ts, last_ts, version, instrument, constituents, excluded
       FROM candles WHERE venue = ? AND symbol = ? AND "interval" = ? AND window_start < ?
       ORDER BY window_start DESC LIMIT ?`,
    ).all(
      q.venue,
      q.symbol,
      q.interval,
      q.before ?? Number.MAX_SAFE_INTEGER,
      q.limit,
    ) as unknown as StoredCandle[];
    return rows.reverse().map(({ instrument, constituents, excluded, ...c }) => ({
      ...c,
      ...(instrument === null ? {} : { instrument }),
      ...compositeFields(constituents, excluded),
    }));
  }

  predictions(
    q: { venue: string; symbol: string; interval: string; limit: number },
  ): PredictionOutcome[] {
    const rows = this.#db.prepare(
      `SELECT venue, symbol, "interval", window_start, target_window_start, model,
              predicted_return, predicted_vol, prob_up, fallback, version, base_close, target_close
       FROM prediction_outcomes WHERE venue = ? AND symbol = ? AND "interval" = ?
       ORDER BY target_window_start DESC, model DESC LIMIT ?`,
    ).all(q.venue, q.symbol, q.interval, q.limit) as unknown as StoredOutcome[];
    return rows.reverse().map(({ base_close, target_close, ...p }) => ({
      ...p,
      realised_return: realisedReturn(base_close, target_close),
    }));
  }

  symbols(): string[] {
    return this.#db.prepare("SELECT DISTINCT symbol FROM candles ORDER BY symbol").all()
      .map((r) => String(r.symbol));
  }

  /** The venues with stored candles (the composite and `legacy` included). */
  venues(): string[] {
    return this.#db.prepare("SELECT DISTINCT venue FROM candles ORDER BY venue").all()
      .map((r) => String(r.venue));
  }

  alerts(q: AlertsQuery): Alert[] {
    return (this.#db.prepare(
      `SELECT id, venue, symbol, "interval", rule, severity, value, threshold, window_start,
              message
       FROM alerts WHERE venue = ? ORDER BY window_start DESC, id DESC LIMIT ?`,
    ).all(q.venue, q.limit) as unknown as Alert[]).map((r) => ({ ...r }));
  }
}
