/**
 * Bollinger bands.
 * @module
 */
import { assertPeriod, smaAt } from "./sma.ts";

/** Bands at one index. */
export interface Bands {
  readonly upper: number;
  readonly middle: number;
  readonly lower: number;
}

/**
 * Bollinger(n, m) over the n values ending at `end`: middle = SMA(n), upper/lower = middle ± m·σ
 * with σ the population standard deviation (divide by n, as Bollinger defined it); null while
 * fewer than n values exist.
 *
 * @example
 * ```ts
 * import { bollingerAt } from "./bollinger.ts";
 * bollingerAt([1, 2, 3], { period: 3, multiplier: 2 }, 2); // middle 2, σ √(2/3)
 * ```
 */
export function bollingerAt(
  values: ArrayLike<number>,
  options: { period: number; multiplier: number },
  end: number,
): Bands | null {
  const n = options.period;
  const middle = smaAt(values, n, end);
  if (middle === null) return null;
  let ss = 0;
  for (let i = end - n + 1; i <= end; i++) ss += (values[i] - middle) ** 2;
  const width = options.multiplier * Math.sqrt(ss / n);
  return { upper: middle + width, middle, lower: middle - width };
}

/**
 * Bollinger(n, m) for every index; null during warm-up (the first n − 1).
 *
 * @example
 * ```ts
 * import { bollinger } from "./bollinger.ts";
 * bollinger([1, 2, 3], { period: 3, multiplier: 2 })[2]?.middle; // 2
 * ```
 */
export function bollinger(
  values: readonly number[],
  options: { period: number; multiplier: number },
): (Bands | null)[] {
  assertPeriod(options.period);
  return values.map((_, i) => bollingerAt(values, options, i));
}
