/**
 * EWMA volatility (RiskMetrics).
 * @module
 */

/** RiskMetrics' decay for daily data, the default for every interval. */
export const DEFAULT_EWMA_LAMBDA = 0.94;

/**
 * The EWMA variance forecast for the step after the last return: σ²₁ = mean(r²) of the window
 * (a seed that does not hinge on one return; its weight decays as λⁿ), then
 * σ²ₜ₊₁ = λ·σ²ₜ + (1 − λ)·rₜ² for every return, zero mean as in RiskMetrics. Null with no
 * returns.
 *
 * @example
 * ```ts
 * import { ewmaVariance } from "./ewma_volatility.ts";
 * // seed (0.01² + 0.02²)/2 = 0.00025; then 0.5·0.00025 + 0.5·0.0001 = 0.000175;
 * // then 0.5·0.000175 + 0.5·0.0004 = 0.0002875
 * ewmaVariance([0.01, -0.02], 0.5); // 0.0002875
 * ```
 */
export function ewmaVariance(
  returns: ArrayLike<number>,
  lambda = DEFAULT_EWMA_LAMBDA,
): number | null {
  assertLambda(lambda);
  const n = returns.length;
  if (n === 0) return null;
  let v = 0;
  for (let i = 0; i < n; i++) v += returns[i] * returns[i];
  v /= n;
  for (let i = 0; i < n; i++) v = lambda * v + (1 - lambda) * returns[i] * returns[i];
  return v;
}

/** Throws unless 0 < λ < 1. */
export function assertLambda(lambda: number): void {
  if (!(lambda > 0 && lambda < 1)) {
    throw new RangeError(`EWMA λ must be in (0, 1), received ${lambda}`);
  }
}
