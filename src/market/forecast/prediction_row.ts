/**
 * The stored form of a forecast: one row per (venue, symbol, interval, target window, model).
 * @module
 */
import type { Candle } from "../candle.ts";
import type { ForecastModel, ForecastUpdate, GarchFallback } from "./prediction.ts";

/**
 * One model's forecast for the window starting at `target_window_start`, made after the closed
 * candle of `window_start` (one interval earlier). Stores keep the highest `version` per
 * (venue, symbol, interval, target_window_start, model), as candles.
 */
export interface PredictionRow {
  readonly venue: string;
  readonly symbol: string;
  readonly interval: string;
  /** The candle the forecast was made after. */
  readonly window_start: number;
  readonly target_window_start: number;
  readonly model: ForecastModel;
  /** Predicted log return (close to close) of the target window; null for volatility models. */
  readonly predicted_return: number | null;
  /** Predicted σ of that log return, per candle; null for the return model. */
  readonly predicted_vol: number | null;
  /** Probability of an up move; null for volatility models. */
  readonly prob_up: number | null;
  /** GARCH only: why the EWMA forecast was served instead. */
  readonly fallback: GarchFallback | null;
  /** Σ of the versions of the window's candles (docs/forecasts.md). */
  readonly version: number;
}

/** The rows of one forecast update of `candle`'s series. */
export function predictionRows(
  candle: Pick<Candle, "venue" | "symbol" | "interval">,
  update: ForecastUpdate,
): PredictionRow[] {
  return update.predictions.map((p) => ({
    venue: candle.venue,
    symbol: candle.symbol,
    interval: candle.interval,
    window_start: update.windowStart,
    target_window_start: p.targetWindowStart,
    model: p.model,
    predicted_return: p.predictedReturn,
    predicted_vol: p.predictedVol,
    prob_up: p.probUp,
    fallback: p.fallback,
    version: p.version,
  }));
}

/**
 * A stored prediction with what happened: the log return from the candle it was made after to
 * the target window's candle, null until that window has closed (or when either has no candle).
 */
export interface PredictionOutcome extends PredictionRow {
  readonly realised_return: number | null;
}

/** ln(target close / base close), or null when either candle is missing. */
export function realisedReturn(
  baseClose: number | null,
  targetClose: number | null,
): number | null {
  if (baseClose === null || targetClose === null || !(baseClose > 0) || !(targetClose > 0)) {
    return null;
  }
  return Math.log(targetClose / baseClose);
}
