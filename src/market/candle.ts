/**
 * The candle record produced by the window aggregator and stored by every sink.
 * @module
 */

/** The reserved venue of the composite (index) candle, built from the venue candles. */
export const COMPOSITE_VENUE = "composite";

/**
 * The venue of candles stored before candles were kept per venue: they mixed every feed's trades
 * of their symbol (docs/storage.md, the upgrade).
 */
export const LEGACY_VENUE = "legacy";

/** Why a venue's candle was left out of a composite window (docs/analytics.md). */
export type ExclusionReason = "stale" | "outlier";

/**
 * One OHLCV candle of a tumbling event-time window. Keyed by (venue, symbol, interval,
 * window_start); a revision after late data carries a higher `version`, and stores keep the
 * highest.
 */
export interface Candle {
  /**
   * The feed whose trades made it (`coinbase`, `kraken`, …, or a replay file's `source`), or
   * {@linkcode COMPOSITE_VENUE} for the composite built from the venue candles.
   */
  readonly venue: string;
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
  /**
   * Venue candles only, when configuration declared the venue's own instrument equivalent to
   * `symbol` (`--binance-symbol-map BTC-USDT=BTC-USD`): that instrument, e.g. `BTC-USDT`.
   */
  readonly instrument?: string;
  /** Composite only: the venues whose candles it was built from, sorted. */
  readonly constituents?: readonly string[];
  /** Composite only: venues with a candle in the window that were left out, and why. */
  readonly excluded?: readonly { readonly venue: string; readonly reason: ExclusionReason }[];
}
