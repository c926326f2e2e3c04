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
  if (s.prevClose === null) return { ...s, prevClose: close };
  const change = close - s.prevClose;
  const gain = change > 0 ? change : 0;
  const loss = change < 0 ? -change : 0;
  const n = s.n;
  const changes = Math.min(n, s.changes + 1);
  let avgGain: number;
  let avgLoss: number;
  if (s.changes < n - 1) {
    return {
      n,
      prevClose: close,
      changes,
      avgGain: s.avgGain + gain,
      avgLoss: s.avgLoss + loss,
      value: null,
    };
  } else if (s.changes === n - 1) {
    avgGain = (s.avgGain + gain) / n;
    avgLoss = (s.avgLoss + loss) / n;
  } else {
    avgGain = (s.avgGain * (n - 1) + gain) / n;
    avgLoss = (s.avgLoss * (n - 1) + loss) / n;
  }
  const value = avgLoss === 0 ? 100 : 100 - 100 / (1 + avgGain / avgLoss);
  return { n, prevClose: close, changes, avgGain, avgLoss, value };
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
