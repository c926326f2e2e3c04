/**
 * Log returns of a candle window, the input of every forecast model.
 * @module
 */

/**
 * rᵢ = ln(cᵢ₊₁/cᵢ) for consecutive closes: n closes give n − 1 returns. Candles are consecutive
 * in the window even across windows without trades (those have no candle), so a return may span
 * more than one interval; the models treat it as one step.
 *
 * @example
 * ```ts
 * import { logReturns } from "./log_returns.ts";
 * logReturns([100, 110, 99]); // [ln 1.1, ln 0.9]
 * ```
 */
export function logReturns(closes: readonly number[]): number[] {
  const out = new Array<number>(Math.max(0, closes.length - 1));
  for (let i = 1; i < closes.length; i++) out[i - 1] = logReturn(closes[i - 1], closes[i]);
  return out;
}

/** ln(to/from): one return, computed as {@linkcode logReturns} does (the same bits). */
export function logReturn(from: number, to: number): number {
  return Math.log(to / from);
}
