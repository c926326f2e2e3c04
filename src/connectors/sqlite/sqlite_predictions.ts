/**
 * The SQLite writes of forecasts: the highest version per (venue, symbol, interval,
 * target_window_start, model) is kept, as for candles.
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";

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
