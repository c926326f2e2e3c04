/**
 * Exponential moving average, TA-Lib convention.
 * @module
 */
import { assertPeriod } from "./sma.ts";

/**
 * Incremental EMA(n) state. Immutable: {@linkcode emaStep} returns a new state, so a caller can
 * keep the state after each candle and recompute from any of them when a candle is revised.
 */
export interface EmaState {
  readonly n: number;
  /** Closes seen so far (only counted up to n). */
  readonly count: number;
  /** Σ of the first closes while warming up. */
  readonly seedSum: number;
  /** The EMA, or null while warming up. */
  readonly value: number | null;
}

/** The state before any close. */
export function emaStart(n: number): EmaState {
  assertPeriod(n);
  return { n, count: 0, seedSum: 0, value: null };
}

/**
 * Adds one close: k = 2/(n+1); the first value, at the n-th close, is the SMA of the first n
 * closes; after that EMA = prev + k·(close − prev).
 *
 * @example
 * ```ts
 * import { emaStart, emaStep } from "./ema.ts";
 * let s = emaStart(2);
 * for (const c of [1, 3, 6]) s = emaStep(s, c);
 * s.value; // 2 + (2/3)·(6 − 2) = 4.666…
 * ```
 */
export function emaStep(s: EmaState, close: number): EmaState {
  const next = { ...s };
  advance(next, close);
  return next;
}

/**
 * The last value of {@linkcode ema}`(values.slice(from, to), n)` by the same steps, so the same
 * number, without a state object per step: the per-forecast path of the forecast features.
 *
 * @example
 * ```ts
 * import { emaLast } from "./ema.ts";
 * emaLast([1, 3, 6], 2); // 4.666666666666667
 * ```
 */
export function emaLast(
  values: ArrayLike<number>,
  n: number,
  from = 0,
  to = values.length,
): number | null {
  const s = { ...emaStart(n) };
  for (let i = from; i < to; i++) advance(s, values[i]);
  return s.value;
}

// The one step both share, in place.
function advance(s: { -readonly [K in keyof EmaState]: EmaState[K] }, close: number): void {
  if (s.value !== null) {
    s.value = s.value + (2 / (s.n + 1)) * (close - s.value);
    return;
  }
  s.count = s.count + 1;
  s.seedSum = s.seedSum + close;
  s.value = s.count === s.n ? s.seedSum / s.n : null;
}

/**
 * EMA(n) for every index: null for the first n − 1 closes.
 *
 * @example
 * ```ts
 * import { ema } from "./ema.ts";
 * ema([1, 3, 6], 2); // [null, 2, 4.666666666666667]
 * ```
 */
export function ema(values: readonly number[], n: number): (number | null)[] {
  let s = emaStart(n);
  return values.map((v) => (s = emaStep(s, v)).value);
}
