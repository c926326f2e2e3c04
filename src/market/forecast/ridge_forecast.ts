/**
 * The return / direction model: ridge regression of the next log return on the window's features.
 * @module
 */
import { featureMatrix, type FeatureSettings } from "./features.ts";
import { normalCdf } from "./normal_cdf.ts";
import { predictLinear, ridgeFit } from "./ridge.ts";
import type { WindowCandle } from "./window_candle.ts";

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

/**
 * Fits ridge on (features at t → log return t → t + 1) for every t of the window with a full
 * feature row and a next candle, features standardised by the training rows' mean and σ
 * (a constant column becomes 0), then predicts from the last candle's features. The
 * probability of an up move is the normal-residual mapping Φ(r̂/σ̂ₑ) — not a separately fitted
 * logistic regression, and not calibrated beyond the Gaussian-residual assumption. Null with
 * fewer than 2·(features + 1) training rows or a singular fit.
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
  const { rows } = featureMatrix(candles, options.features);
  const last = rows.length - 1;
  const target = last >= 0 ? rows[last] : null;
  if (target === null) return null;
  const x: (readonly number[])[] = [];
  const y: number[] = [];
  for (let t = 0; t < last; t++) {
    const row = rows[t];
    if (row === null) continue;
    x.push(row);
    y.push(Math.log(candles[t + 1].close / candles[t].close));
  }
  const p = target.length;
  if (x.length < 2 * (p + 1)) return null;
  const { scaled, apply } = standardise(x);
  const model = ridgeFit(scaled, y, (options.alpha ?? 0.1) * x.length);
  if (model === null) return null;
  let rss = 0;
  for (let i = 0; i < scaled.length; i++) rss += (y[i] - predictLinear(model, scaled[i])) ** 2;
  const residualSd = Math.sqrt(rss / (x.length - p - 1));
  const predictedReturn = predictLinear(model, apply(target));
  const probUp = residualSd > 0 ? normalCdf(predictedReturn / residualSd) : 0.5;
  return { predictedReturn, probUp, residualSd, rows: x.length };
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
