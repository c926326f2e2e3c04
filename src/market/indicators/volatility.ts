/**
 * Rolling volatility of log returns.
 * @module
 */
import { assertPeriod } from "./sma.ts";

/**
 * Sample standard deviation (divide by n − 1) of the n log returns ln(cₜ/cₜ₋₁) ending at index
 * `end`: needs n + 1 closes, null before. Per candle, not annualised (scale by √(candles per
 * year) if wanted). n must be ≥ 2 for a sample deviation.
 *
 * @example
 * ```ts
 * import { volatilityAt } from "./volatility.ts";
 * volatilityAt([100, 110, 99], 2, 2); // σ of [ln 1.1, ln 0.9]
 * ```
 */
export function volatilityAt(closes: readonly number[], n: number, end: number): number | null {
  if (end < n) return null;
  let mean = 0;
  for (let i = end - n + 1; i <= end; i++) mean += Math.log(closes[i] / closes[i - 1]);
  mean /= n;
  let ss = 0;
  for (let i = end - n + 1; i <= end; i++) ss += (Math.log(closes[i] / closes[i - 1]) - mean) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/**
 * Rolling volatility(n) for every index; null for the first n closes.
 *
 * @example
 * ```ts
 * import { volatility } from "./volatility.ts";
 * volatility([100, 110, 99], 2); // [null, null, 0.1726…]
 * ```
 */
export function volatility(closes: readonly number[], n: number): (number | null)[] {
  assertPeriod(n);
  if (n < 2) {
    throw new RangeError(`Cannot compute volatility: period must be at least 2, received ${n}`);
  }
  return closes.map((_, i) => volatilityAt(closes, n, i));
}
