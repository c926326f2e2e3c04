/**
 * The composite candle recomputed from venue candles the way docs/analytics.md publishes it,
 * independently of src/market/composite_candle.ts: the weighted means by exact rationals over
 * big integers, rounded by picking the nearest double among a float estimate's neighbours.
 * @module
 */
import type { Candle } from "../../src/market/candle.ts";

/** The method's parameters (the documented defaults when absent). */
export interface ReferenceOptions {
  staleAfterMs?: number;
  outlierMads?: number;
  venues?: readonly string[];
}

const SCALE = 2 ** 200;

// A double as a big integer times 2^-200 (exact for the prices and sizes of the tests).
function big(x: number): bigint {
  const b = BigInt(x * SCALE);
  if (Number(b) / SCALE !== x) throw new Error(`${x} is not exact at 2^-200`);
  return b;
}

function nextUp(x: number, steps: number): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  v.setBigInt64(0, v.getBigInt64(0) + BigInt(steps));
  return v.getFloat64(0);
}

/** Σ w·x / Σ w, rounded to the nearest double (ties to the even one). */
export function referenceWeightedMean(xs: readonly number[], ws: readonly number[]): number {
  let num = 0n; // scaled by S²
  let den = 0n; // scaled by S
  xs.forEach((x, i) => {
    num += big(x) * big(ws[i]);
    den += big(ws[i]);
  });
  const estimate = xs.reduce((s, x, i) => s + x * ws[i], 0) / ws.reduce((s, w) => s + w, 0);
  let best = NaN;
  let bestErr = -1n;
  for (let k = -8; k <= 8; k++) {
    const c = nextUp(estimate, k);
    // |c − num/(den·S)| · den · S = |c·S·den − num| (c scaled by S).
    let err = big(c) * den - num;
    if (err < 0n) err = -err;
    const even = (new DataView(new Float64Array([c]).buffer).getUint8(0) & 1) === 0;
    if (bestErr < 0n || err < bestErr || (err === bestErr && even)) {
      best = c;
      bestErr = err;
    }
  }
  return best;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** The composite of one window's venue candles (latest version each), with its `version`. */
export function referenceComposite(
  venueCandles: readonly Candle[],
  intervalMs: number,
  version: number,
  o: ReferenceOptions = {},
): Candle | null {
  const all = venueCandles
    .filter((c) => !o.venues?.length || o.venues.includes(c.venue))
    .sort((a, b) => (a.venue < b.venue ? -1 : 1));
  if (all.length === 0) return null;
  const end = all[0].window_start + intervalMs;
  const reasons = new Map<string, "stale" | "outlier">();
  const stale = all.filter((c) => end - c.last_ts > (o.staleAfterMs ?? 60_000));
  if (stale.length !== all.length) stale.forEach((c) => reasons.set(c.venue, "stale"));
  const fresh = all.filter((c) => !reasons.has(c.venue));
  if (fresh.length >= 3) {
    const p = fresh.map((c) => c.vwap ?? c.close);
    const m = median(p);
    const mad = Math.max(median(p.map((x) => Math.abs(x - m))), 0.0001 * Math.abs(m));
    fresh.forEach((c, i) => {
      if (Math.abs(p[i] - m) > (o.outlierMads ?? 5) * mad) reasons.set(c.venue, "outlier");
    });
  }
  const used = all.filter((c) => !reasons.has(c.venue));
  const volume = used.reduce((s, c) => s + big(c.volume), 0n);
  const w = used.map((c) => (volume > 0n ? c.volume : 1));
  const traded = used.filter((c) => c.volume > 0);
  return {
    venue: "composite",
    symbol: all[0].symbol,
    interval: all[0].interval,
    window_start: all[0].window_start,
    open: referenceWeightedMean(used.map((c) => c.open), w),
    high: Math.max(...used.map((c) => c.high)),
    low: Math.min(...used.map((c) => c.low)),
    close: referenceWeightedMean(used.map((c) => c.close), w),
    volume: Number(volume) / SCALE,
    vwap: traded.length === 0 ? null : referenceWeightedMean(
      traded.map((c) => c.vwap!),
      traded.map((c) => c.volume),
    ),
    trades: used.reduce((s, c) => s + c.trades, 0),
    first_ts: Math.min(...used.map((c) => c.first_ts)),
    last_ts: Math.max(...used.map((c) => c.last_ts)),
    version,
    constituents: used.map((c) => c.venue),
    excluded: all.filter((c) => reasons.has(c.venue)).map((c) => ({
      venue: c.venue,
      reason: reasons.get(c.venue)!,
    })),
  };
}
