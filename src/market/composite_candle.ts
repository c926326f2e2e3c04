/**
 * The composite (index) candle of one window, computed from that window's venue candles only,
 * by the method published in docs/analytics.md ("The composite candle").
 * @module
 */
import { type Candle, COMPOSITE_VENUE, type ExclusionReason } from "./candle.ts";
import { ExactSum } from "./exact_sum.ts";
import { weightedMean } from "./weighted_mean.ts";

/** How the composite is built. */
export interface CompositeOptions {
  /**
   * A venue whose last trade in the window is more than this before the window's end is stale
   * and left out (unless every venue is). Default 60 000 ms.
   */
  readonly staleAfterMs?: number;
  /**
   * k: a venue whose price is more than k median absolute deviations from the median is an
   * outlier. Default 5; at least 1, so that at least half the venues always remain.
   */
  readonly outlierMads?: number;
  /** Venues that feed the composite; empty or absent: every venue. */
  readonly venues?: readonly string[];
}

/** The smallest MAD the outlier test uses, as a fraction of the median (1 basis point). */
export const MAD_FLOOR = 0.0001;

/** The price a venue is compared on: its VWAP, or its close when it has no volume. */
export function referencePrice(c: Candle): number {
  return c.vwap ?? c.close;
}

/**
 * Which of a window's venue candles are left out and why: stale ones first (all kept when all
 * are stale), then outliers among the rest (only with three or more, which a deviation from
 * the median needs to point at one venue).
 */
export function exclusions(
  candles: readonly Candle[],
  windowEnd: number,
  options: CompositeOptions = {},
): Map<string, ExclusionReason> {
  const out = new Map<string, ExclusionReason>();
  if (candles.length < 2) return out; // a single venue is never stale against itself
  const staleAfter = options.staleAfterMs ?? 60_000;
  const stale = candles.filter((c) => windowEnd - c.last_ts > staleAfter);
  if (stale.length < candles.length) { for (const c of stale) out.set(c.venue, "stale"); }
  const rest = candles.filter((c) => !out.has(c.venue));
  if (rest.length < 3) return out;
  const prices = rest.map(referencePrice);
  const med = median(prices);
  const deviations = prices.map((p) => Math.abs(p - med));
  const mad = Math.max(median(deviations), MAD_FLOOR * Math.abs(med));
  const k = options.outlierMads ?? 5;
  rest.forEach((c, i) => {
    if (deviations[i] > k * mad) out.set(c.venue, "outlier");
  });
  return out;
}

/** The median; of an even count, the midpoint of the two middle values. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The composite of one (symbol, interval, window) from its venue candles (one per venue, the
 * latest version each; venues outside `options.venues` are ignored), or null when none feeds it.
 */
export function compositeCandle(
  candles: readonly Candle[],
  windowEnd: number,
  version: number,
  options: CompositeOptions = {},
): Candle | null {
  const feeding = options.venues?.length
    ? candles.filter((c) => options.venues!.includes(c.venue))
    : candles;
  if (feeding.length === 0) return null;
  const sorted = [...feeding].sort((a, b) => (a.venue < b.venue ? -1 : a.venue > b.venue ? 1 : 0));
  const excluded = exclusions(sorted, windowEnd, options);
  return {
    ...combine(sorted.filter((c) => !excluded.has(c.venue)), version),
    excluded: sorted.filter((c) => excluded.has(c.venue)).map((c) => ({
      venue: c.venue,
      reason: excluded.get(c.venue)!,
    })),
  };
}

// Step 4 of the method: the constituents' candles into one (members sorted by venue, not empty).
// One pass for the sums and extremes; the weighted means need the values and weights as arrays.
function combine(members: readonly Candle[], version: number): Candle {
  const volume = new ExactSum();
  let high = -Infinity;
  let low = Infinity;
  let trades = 0;
  let firstTs = Infinity;
  let lastTs = -Infinity;
  const opens: number[] = [];
  const closes: number[] = [];
  const volumes: number[] = [];
  const vwaps: number[] = [];
  const vwapWeights: number[] = [];
  for (const c of members) {
    volume.add(c.volume);
    if (c.high > high) high = c.high;
    if (c.low < low) low = c.low;
    trades += c.trades;
    if (c.first_ts < firstTs) firstTs = c.first_ts;
    if (c.last_ts > lastTs) lastTs = c.last_ts;
    opens.push(c.open);
    closes.push(c.close);
    volumes.push(c.volume);
    if (c.vwap !== null && c.volume > 0) {
      vwaps.push(c.vwap);
      vwapWeights.push(c.volume);
    }
  }
  const total = volume.value();
  // Volume weights; equal weights when no member has volume (price-only feeds such as CoinCap).
  const weights = total > 0 ? volumes : volumes.map(() => 1);
  const first = members[0];
  return {
    venue: COMPOSITE_VENUE,
    symbol: first.symbol,
    interval: first.interval,
    window_start: first.window_start,
    open: weightedMean(opens, weights),
    high,
    low,
    close: weightedMean(closes, weights),
    volume: total,
    vwap: vwaps.length === 0 ? null : weightedMean(vwaps, vwapWeights),
    trades,
    first_ts: firstTs,
    last_ts: lastTs,
    version,
    constituents: members.map((c) => c.venue),
  };
}
