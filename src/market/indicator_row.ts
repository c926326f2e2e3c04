/**
 * The indicator record: one row per closed candle, the values of every indicator at its close.
 * @module
 */

/**
 * Indicator values at one candle's close; null while an indicator is warming up.
 * Keyed like the candle; `version` follows the candle's version.
 */
export interface IndicatorRow {
  readonly symbol: string;
  readonly interval: string;
  readonly window_start: number;
  readonly close: number;
  readonly sma: number | null;
  readonly ema_fast: number | null;
  readonly ema_slow: number | null;
  readonly rsi: number | null;
  readonly bb_upper: number | null;
  readonly bb_middle: number | null;
  readonly bb_lower: number | null;
  readonly volatility: number | null;
  readonly version: number;
}
