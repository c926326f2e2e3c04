/**
 * Relative strength index with Wilder smoothing.
 * @module
 */
import { assertPeriod } from "./sma.ts";

/** Incremental RSI(n) state; immutable like {@linkcode EmaState}. */
export interface RsiState {
  readonly n: number;
  readonly prevClose: number | null;
  /** Price changes seen so far (only counted up to n). */
  readonly changes: number;
  /** While warming up: Σ gains and Σ losses; after: Wilder averages. */
  readonly avgGain: number;
  readonly avgLoss: number;
  /** The RSI, or null while warming up. */
  readonly value: number | null;
}

/** The state before any close. */
export function rsiStart(n: number): RsiState {
  assertPeriod(n);
  return { n, prevClose: null, changes: 0, avgGain: 0, avgLoss: 0, value: null };
}

/**
 * Adds one close. The first n changes are averaged simply (so the first value comes at close
 * n + 1); after that avg = (prev·(n − 1) + current)/n. RSI = 100 − 100/(1 + avgGain/avgLoss),
 * and 100 when the average loss is 0.
 *
 * @example
 * ```ts
 * import { rsiStart, rsiStep } from "./rsi.ts";
 * let s = rsiStart(2);
 * for (const c of [10, 11, 10.5]) s = rsiStep(s, c);
 * s.value; // gains 1, losses 0.5 → 100 − 100/(1 + 2) = 66.66…
 * ```
 */
export function rsiStep(s: RsiState, close: number): RsiState {
  const next = { ...s };
  advance(next, close);
  return next;
}

/**
 * The last value of {@linkcode rsi}`(values.slice(from, to), n)` by the same steps, so the same
 * number, without a state object per step: the per-forecast path of the forecast features.
 *
 * @example
 * ```ts
 * import { rsiLast } from "./rsi.ts";
 * rsiLast([10, 11, 10.5], 2); // 66.66666666666667
 * ```
 */
export function rsiLast(
  values: ArrayLike<number>,
  n: number,
  from = 0,
  to = values.length,
): number | null {
  const s = { ...rsiStart(n) };
  for (let i = from; i < to; i++) advance(s, values[i]);
  return s.value;
}

// The one step both share, in place.
function advance(s: { -readonly [K in keyof RsiState]: RsiState[K] }, close: number): void {
  if (s.prevClose === null) {
    s.prevClose = close;
    return;
  }
  const change = close - s.prevClose;
  const gain = change > 0 ? change : 0;
  const loss = change < 0 ? -change : 0;
  const n = s.n;
  const before = s.changes;
  s.prevClose = close;
  s.changes = Math.min(n, before + 1);
  if (before < n - 1) {
    s.avgGain = s.avgGain + gain;
    s.avgLoss = s.avgLoss + loss;
    s.value = null;
    return;
  } else if (before === n - 1) {
    s.avgGain = (s.avgGain + gain) / n;
    s.avgLoss = (s.avgLoss + loss) / n;
  } else {
    s.avgGain = (s.avgGain * (n - 1) + gain) / n;
    s.avgLoss = (s.avgLoss * (n - 1) + loss) / n;
  }
  s.value = s.avgLoss === 0 ? 100 : 100 - 100 / (1 + s.avgGain / s.avgLoss);
}

/**
 * RSI(n) for every index: null for the first n closes.
 *
 * @example
 * ```ts
 * import { rsi } from "./rsi.ts";
 * rsi([10, 11, 10.5], 2); // [null, null, 66.66666666666667]
 * ```
 */
export function rsi(values: readonly number[], n: number): (number | null)[] {
  let s = rsiStart(n);
  return values.map((v) => (s = rsiStep(s, v)).value);
}
