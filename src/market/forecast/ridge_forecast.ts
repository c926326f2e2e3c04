/**
 * The return / direction model: ridge regression of the next log return on the window's features.
 * @module
 */
import { featureMatrix, featureRow, type FeatureSettings } from "./features.ts";
import { normalCdf } from "./normal_cdf.ts";
import { type LinearModel, predictLinear, ridgeFit } from "./ridge.ts";
import type { WindowCandle } from "./window_candle.ts";
import { logReturn } from "./log_returns.ts";

/** Options of {@linkcode ridgeForecast}. */
export interface RidgeOptions {
  features?: FeatureSettings;
  /** Penalty per training row on standardised features: λ = alpha · rows. Default 0.1. */
  alpha?: number;
}

/** A return forecast for the window after the window's last candle. */
export interface RidgeForecast {
  /** Predicted log return of the next window. */
  readonly predictedReturn: number;
  /** P(next return > 0) = Φ(predictedReturn / residualSd). */
  readonly probUp: number;
  /** In-sample residual standard deviation (divide by rows − features − 1). */
  readonly residualSd: number;
  /** Training rows used. */
  readonly rows: number;
}

/** A ridge model fitted on a sample of candles, ready to predict from a feature row. */
export interface RidgeModel {
  readonly linear: LinearModel;
  readonly standardise: (row: readonly number[]) => number[];
  readonly residualSd: number;
  readonly rows: number;
  /** Whether the model was fitted with the cross-source spread. */
  readonly cross: boolean;
}

// The default feature settings as one object, so that they are resolved once.
const DEFAULT_FEATURES: FeatureSettings = {};

/** Candles the prediction's features are computed over. */
export const PREDICT_TAIL = 128;

/**
 * Fits ridge on (features at t → log return t → t + 1) for every t of `candles` with a full
 * feature row and a next candle, features standardised by the training rows' mean and σ
 * (a constant column becomes 0). Null with fewer than 2·(features + 1) training rows or a
 * singular fit.
 */
export function fitRidge(
  candles: readonly WindowCandle[],
  options: RidgeOptions = {},
): RidgeModel | null {
  const { rows, names } = featureMatrix(candles, options.features);
  const x: (readonly number[])[] = [];
  const y: number[] = [];
  for (let t = 0; t + 1 < rows.length; t++) {
    const row = rows[t];
    if (row === null) continue;
    x.push(row);
    y.push(logReturn(candles[t].close, candles[t + 1].close));
  }
  const p = names.length;
  if (x.length < 2 * (p + 1)) return null;
  const { scaled, apply } = standardise(x);
  const linear = ridgeFit(scaled, y, (options.alpha ?? 0.1) * x.length);
  if (linear === null) return null;
  let rss = 0;
  for (let i = 0; i < scaled.length; i++) rss += (y[i] - predictLinear(linear, scaled[i])) ** 2;
  const residualSd = Math.sqrt(rss / (x.length - p - 1));
  return {
    linear,
    standardise: apply,
    residualSd,
    rows: x.length,
    cross: names.includes("cross_spread"),
  };
}

/**
 * The forecast after the last of `candles` from a fitted model: the last candle's features
 * (computed over the last {@linkcode PREDICT_TAIL} of `candles`), r̂ = the model's prediction, and P(up) by the normal-residual
 * mapping Φ(r̂/σ̂ₑ) — not a separately fitted logistic regression, and not calibrated beyond the
 * Gaussian-residual assumption. Null when the last candle has no full feature row. `closes`:
 * the candles' closes, when the caller holds them (the same numbers, no copy).
 */
export function ridgePredict(
  model: RidgeModel,
  candles: readonly WindowCandle[],
  options: RidgeOptions = {},
  closes?: Float64Array,
): RidgeForecast | null {
  // The last PREDICT_TAIL candles suffice: the recursive indicators (RSI, EMAs) have all but
  // forgotten their start by then, and it keeps the per-candle cost flat in the window length.
  const long = candles.length > PREDICT_TAIL;
  const tail = long ? candles.slice(-PREDICT_TAIL) : candles;
  const tailCloses = closes && long ? closes.subarray(closes.length - PREDICT_TAIL) : closes;
  const row = featureRow(tail, options.features ?? DEFAULT_FEATURES, model.cross, tailCloses);
  if (row == null) return null;
  const predictedReturn = predictLinear(model.linear, model.standardise(row));
  const sd = model.residualSd;
  const probUp = sd > 0 ? normalCdf(predictedReturn / sd) : 0.5;
  return { predictedReturn, probUp, residualSd: sd, rows: model.rows };
}

/**
 * Fits on the whole window ({@linkcode fitRidge}) and predicts after its last candle
 * ({@linkcode ridgePredict}); the last candle has no next return, so it is not a training row.
 *
 * @example
 * ```ts
 * import { ridgeForecast } from "./ridge_forecast.ts";
 * ridgeForecast([]); // null
 * ```
 */
export function ridgeForecast(
  candles: readonly WindowCandle[],
  options: RidgeOptions = {},
): RidgeForecast | null {
  const model = fitRidge(candles, options);
  return model === null ? null : ridgePredict(model, candles, options);
}

/** Column z-scores by the rows' mean and population σ; σ = 0 maps the column to 0. */
export function standardise(x: readonly (readonly number[])[]): {
  scaled: number[][];
  apply: (row: readonly number[]) => number[];
} {
  const p = x[0].length;
  const mean = new Array<number>(p).fill(0);
  const sd = new Array<number>(p).fill(0);
  for (const row of x) for (let j = 0; j < p; j++) mean[j] += row[j] / x.length;
  for (const row of x) for (let j = 0; j < p; j++) sd[j] += (row[j] - mean[j]) ** 2 / x.length;
  for (let j = 0; j < p; j++) sd[j] = Math.sqrt(sd[j]);
  const apply = (row: readonly number[]) =>
    row.map((v, j) => (sd[j] > 0 ? (v - mean[j]) / sd[j] : 0));
  return { scaled: x.map(apply), apply };
}
