/**
 * The candle fields the forecast models read.
 * @module
 */
import type { Candle } from "../candle.ts";

/**
 * A closed candle as the forecast models see it; every {@linkcode Candle} is one. The optional
 * `cross_spread` is ln(close / mean close of the other sources of the symbol) for the same
 * window, when several sources feed it; the caller supplies it.
 */
export interface WindowCandle {
  readonly window_start: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly version: number;
  readonly cross_spread?: number | null;
}

/**
 * The fields of `c` the models read, as a record of their own: what an engine keeps of a candle
 * (N + 16 per series), not the whole record with its strings and composite lists.
 *
 * @example
 * ```ts
 * import { windowCandle } from "./window_candle.ts";
 * windowCandle({ window_start: 0, high: 2, low: 1, close: 1.5, volume: 3, version: 1 }).close; // 1.5
 * ```
 */
export function windowCandle(c: WindowCandle): WindowCandle {
  return {
    window_start: c.window_start,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: c.volume,
    version: c.version,
  };
}

// Compile-time check that a Candle is a WindowCandle.
const _candleFits: (c: Candle) => WindowCandle = (c) => c;
