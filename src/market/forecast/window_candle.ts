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

// Compile-time check that a Candle is a WindowCandle.
const _candleFits: (c: Candle) => WindowCandle = (c) => c;
