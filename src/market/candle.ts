/**
 * The candle record produced by the window aggregator and stored by every sink.
 * @module
 */

/**
 * One OHLCV candle of a tumbling event-time window. Keyed by (symbol, interval, window_start);
 * a revision after late data carries a higher `version`, and stores keep the highest.
 */
export interface Candle {
  readonly symbol: string;
  /** Interval name, e.g. `1m`, `5m`, `1h`. */
  readonly interval: string;
  /** Window start, epoch ms (UTC), a multiple of the interval length. */
  readonly window_start: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Σ size; 0 when sizes are unknown. */
  readonly volume: number;
  /** Σ price·size / Σ size; null when Σ size = 0. */
  readonly vwap: number | null;
  /** Number of distinct ticks in the window. */
  readonly trades: number;
  /** Event time of the first and last tick, epoch ms. */
  readonly first_ts: number;
  readonly last_ts: number;
  /** 1 for the first emission, +1 for each revision by late data. */
  readonly version: number;
}
