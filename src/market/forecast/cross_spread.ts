/**
 * The cross-source spread feature of a forecast series' candle, from the venue candles of its
 * window (docs/forecasts.md, "Cross-source spread").
 * @module
 */
import { type Candle, COMPOSITE_VENUE } from "../candle.ts";
import { weightedMean } from "../weighted_mean.ts";
import { type WindowCandle, windowCandle } from "./window_candle.ts";

/** The latest candle of each venue (not the composite) in one (symbol, interval, window). */
export type VenueWindow = ReadonlyMap<string, Candle>;

/**
 * ln(close / m), m the mean of `others` correctly rounded (so it does not depend on their order,
 * and equal closes give a spread of exactly 0); null when there are no others.
 *
 * @example
 * ```ts
 * import { crossSpread } from "./cross_spread.ts";
 * crossSpread(101, [100, 102]); // 0: the mean of the others is 101
 * crossSpread(101, []); // null
 * ```
 */
export function crossSpread(close: number, others: readonly number[]): number | null {
  if (others.length === 0) return null;
  return Math.log(close / weightedMean(others, others.map(() => 1)));
}

/**
 * The candle of a forecast series as the engine sees it, given the venue candles of its window
 * (`venues`; undefined when none are held):
 * - the **composite**: `cross_spread` = ln(close / mean close of its constituents), when it has
 *   two or more (the venues it was built from, after the stale and outlier exclusions); its
 *   version is its own, which already rises with every change of a venue candle of the window;
 * - a **venue** V: `cross_spread` = ln(close_V / mean close of every other venue's candle of the
 *   window), when there is one; its version is V's plus the other venues' versions, so that a
 *   revision (or late first candle) of another venue makes a higher version and the forecasts
 *   after it are recomputed, as for V's own revisions.
 * With a single source the candle is the series' candle's fields alone: the feature is absent and
 * the version unchanged. Null when the venue candles it needs are not in `venues` (a window older
 * than the held ones): the caller forecasts nothing, as the engine ignores too old revisions.
 *
 * @example
 * ```ts
 * import { forecastCandle } from "./cross_spread.ts";
 * const c = { venue: "kraken", symbol: "BTC-USD", interval: "1m", window_start: 0, open: 1,
 *   high: 1, low: 1, close: 1, volume: 0, vwap: null, trades: 1, first_ts: 0, last_ts: 0,
 *   version: 1 };
 * forecastCandle(c, new Map([["kraken", c]]))?.cross_spread; // undefined: a single source
 * ```
 */
export function forecastCandle(
  candle: Candle,
  venues: VenueWindow | undefined,
): WindowCandle | null {
  const own = windowCandle(candle);
  if (candle.venue === COMPOSITE_VENUE) {
    const members = candle.constituents ?? [];
    if (members.length < 2) return own;
    const closes: number[] = [];
    for (const v of members) {
      const c = venues?.get(v);
      if (c === undefined) return null;
      closes.push(c.close);
    }
    return { ...own, cross_spread: crossSpread(candle.close, closes) };
  }
  if (venues === undefined) return null;
  const closes: number[] = [];
  let version = candle.version;
  for (const [venue, c] of venues) {
    if (venue === candle.venue) continue;
    closes.push(c.close);
    version += c.version;
  }
  return closes.length === 0
    ? own
    : { ...own, version, cross_spread: crossSpread(candle.close, closes) };
}
