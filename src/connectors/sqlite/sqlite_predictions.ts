/**
 * The SQLite writes of forecasts: the highest version per (venue, symbol, interval,
 * target_window_start, model) is kept, as for candles.
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { PredictionRow } from "../../market/forecast/prediction_row.ts";

/** The upsert statement of the `predictions` table (migration 4). */
export function preparePredictionWrite(db: DatabaseSync): StatementSync {
  return db.prepare(
    `INSERT INTO predictions (venue, symbol, "interval", target_window_start, model, window_start,
       predicted_return, predicted_vol, prob_up, fallback, version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (venue, symbol, "interval", target_window_start, model) DO UPDATE SET
       window_start = excluded.window_start, predicted_return = excluded.predicted_return,
       predicted_vol = excluded.predicted_vol, prob_up = excluded.prob_up,
       fallback = excluded.fallback, version = excluded.version
     WHERE excluded.version > predictions.version`,
  );
}

/** Runs the upsert for every row (inside the caller's transaction). */
export function writePredictionRows(s: StatementSync, rows: readonly PredictionRow[]): void {
  for (const r of rows) {
    s.run(
      r.venue,
      r.symbol,
      r.interval,
      r.target_window_start,
      r.model,
      r.window_start,
      r.predicted_return,
      r.predicted_vol,
      r.prob_up,
      r.fallback,
      r.version,
    );
  }
}
