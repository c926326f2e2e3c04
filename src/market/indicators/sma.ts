/**
 * Simple moving average.
 * @module
 */

/**
 * SMA(n) of the `n` values ending at index `end` (inclusive), or null while fewer than `n`
 * values exist. Summed afresh each time rather than as a running sum, so no rounding drift
 * accumulates over a long-lived series and a recomputation gives the same bits.
 *
 * @example
 * ```ts
 * import { smaAt } from "./sma.ts";
 * smaAt([1, 2, 3, 4], 3, 3); // 3
 * ```
 */
export function smaAt(values: ArrayLike<number>, n: number, end: number): number | null {
  if (end + 1 < n) return null;
  let sum = 0;
  for (let i = end - n + 1; i <= end; i++) sum += values[i];
  return sum / n;
}

/**
 * SMA(n) for every index: null for the first n − 1 (warm-up), then the mean of the last n.
 *
 * @example
 * ```ts
 * import { sma } from "./sma.ts";
 * sma([1, 2, 3, 4], 3); // [null, null, 2, 3]
 * ```
 */
export function sma(values: readonly number[], n: number): (number | null)[] {
  assertPeriod(n);
  return values.map((_, i) => smaAt(values, n, i));
}

/** Throws a RangeError unless `n` is a positive integer (shared by every indicator). */
export function assertPeriod(n: number, name = "period"): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `Cannot compute indicator: ${name} must be a positive integer, received ${n}`,
    );
  }
}
