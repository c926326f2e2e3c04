/**
 * The forecast record: what one model predicts for the window after a closed candle.
 * @module
 */
import type { GarchFailure } from "./garch.ts";

/** Forecast models. */
export type ForecastModel = "ewma" | "garch" | "ridge";

/** Why GARCH served the EWMA forecast instead: a failed fit, or too little data before a refit point. */
export type GarchFallback = GarchFailure | "warmup";

/**
 * One model's forecast for the window starting at `targetWindowStart`, made from the closed
 * candles of `key` up to the one before it. Fields a model does not forecast are null:
 * volatility models give no return, the return model gives no volatility.
 */
export interface Prediction {
  readonly key: string;
  readonly targetWindowStart: number;
  readonly model: ForecastModel;
  /** Predicted log return of the target window (close to close). */
  readonly predictedReturn: number | null;
  /** Predicted σ of that log return, per candle (not annualised). */
  readonly predictedVol: number | null;
  /** Probability that the return is positive. */
  readonly probUp: number | null;
  /**
   * Σ of the versions of the window's candles. The window of a target is a fixed span of event
   * time, so a revision or a late first candle inside it only ever raises the sum: stores keeping
   * the highest version keep the latest forecast. It depends only on the window.
   */
  readonly version: number;
  /** GARCH only: set when the EWMA forecast was served instead. */
  readonly fallback: GarchFallback | null;
}

/** Everything computed after one closed candle of a key. */
export interface ForecastUpdate {
  readonly key: string;
  /** The candle the forecasts were made after. */
  readonly windowStart: number;
  readonly targetWindowStart: number;
  readonly predictions: readonly Prediction[];
  /** Learned anomaly score of that candle (bits), null when off or warming up. */
  readonly anomalyScore: number | null;
}
