/**
 * The indicator record: one row per closed candle, the values of every indicator at its close.
 * @module
 */

/**
 * Indicator values at one candle's close; null while an indicator is warming up.
 * Keyed like the candle, venue included (`--analytics-venue` may name several, each computed on
 * its own candles); `version` follows the candle's version.
 */
export interface IndicatorRow {
  /** The candles' venue: `composite` by default, or a feed named in `--analytics-venue`. */
  readonly venue: string;
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
