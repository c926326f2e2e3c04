import assert from "node:assert/strict";
import type { Candle } from "../../src/market/candle.ts";
import type { IndicatorRow } from "../../src/market/indicator_row.ts";
import {
  AnomalyDetector,
  MAX_SOURCES_PER_SYMBOL,
} from "../../src/market/anomaly/anomaly_detector.ts";
import { alertId } from "../../src/market/anomaly/alert_id.ts";
import { bandBreakout } from "../../src/market/anomaly/band_breakout.ts";
import { Cooldown } from "../../src/market/anomaly/cooldown.ts";
import { feedStale } from "../../src/market/anomaly/feed_stale.ts";
import { priceSpike } from "../../src/market/anomaly/price_spike.ts";
import { sourceDivergence } from "../../src/market/anomaly/source_divergence.ts";
import { medianOf, volumeSpike } from "../../src/market/anomaly/volume_spike.ts";
import type { Tick } from "../../src/market/tick.ts";
import { assertClose } from "./prng.ts";

const M = 60_000;
const T0 = 1_700_000_040_000;

// A gently zig-zagging series: returns alternate ±1 %, so σ is known and non-zero.
function zigzag(n: number): number[] {
  const out = [100];
  for (let i = 1; i < n; i++) out.push(out[i - 1] * (i % 2 === 0 ? 1.01 : 0.99));
  return out;
}

function candle(i: number, close: number, volume = 10, symbol = "BTC-USD"): Candle {
  return {
    venue: "composite",
    symbol,
    interval: "1m",
    window_start: T0 + i * M,
    open: close,
    high: close,
    low: close,
    close,
    volume,
    vwap: volume > 0 ? close : null,
    trades: 1,
    first_ts: T0 + i * M,
    last_ts: T0 + i * M,
    version: 1,
  };
}

function row(c: Candle, bands: [number, number] | null = null): IndicatorRow {
  return {
    venue: c.venue,
    symbol: c.symbol,
    interval: c.interval,
    window_start: c.window_start,
    close: c.close,
    sma: null,
    ema_fast: null,
    ema_slow: null,
    rsi: null,
    bb_upper: bands?.[1] ?? null,
    bb_middle: null,
    bb_lower: bands?.[0] ?? null,
    volatility: null,
    version: c.version,
  };
}

Deno.test("priceSpike() computes z of the latest log return against the previous n, by hand", () => {
  const closes = [...zigzag(32), 0]; // 31 returns before the last
  closes[32] = closes[31] * 1.2;
  const rets = closes.slice(1).map((c, i) => Math.log(c / closes[i]));
  const prev = rets.slice(-31, -1);
  const mean = prev.reduce((a, b) => a + b, 0) / 30;
  const sd = Math.sqrt(prev.reduce((a, b) => a + (b - mean) ** 2, 0) / 29);
  const f = priceSpike(closes, { lookback: 30, zThreshold: 4 });
  assert.ok(f !== null);
  assertClose(f?.value ?? null, (rets[rets.length - 1] - mean) / sd, "z");
  assert.equal(f?.severity, "critical");
  assert.equal(priceSpike(zigzag(40), { lookback: 30, zThreshold: 4 }), null);
  assert.equal(
    priceSpike(closes.slice(-31), { lookback: 30, zThreshold: 4 }),
    null,
    "needs n + 2 closes",
  );
  assert.equal(priceSpike(Array(40).fill(5), { lookback: 30, zThreshold: 4 }), null, "σ = 0");
});

Deno.test("volumeSpike() compares with the median of the previous n", () => {
  assert.equal(medianOf([5, 1, 3]), 3);
  assert.equal(medianOf([4, 1, 3, 2]), 2.5);
  const vols = [...Array(30).fill(0).map((_, i) => 10 + (i % 3)), 55];
  assert.deepEqual(volumeSpike(vols, { lookback: 30, multiple: 5 }), {
    value: 5,
    severity: "warning",
  });
  vols[30] = 49;
  assert.equal(volumeSpike(vols, { lookback: 30, multiple: 5 }), null);
  assert.equal(volumeSpike([0, 0, 0, 9], { lookback: 3, multiple: 5 }), null, "zero median");
});

Deno.test("bandBreakout(), feedStale() and sourceDivergence() fire only past their thresholds", () => {
  assert.deepEqual(bandBreakout({ close: 94, bb_upper: 105, bb_lower: 95 }), {
    value: 94,
    threshold: 95,
    severity: "info",
  });
  assert.equal(bandBreakout({ close: 100, bb_upper: 105, bb_lower: 95 }), null);
  assert.equal(bandBreakout({ close: 100, bb_upper: null, bb_lower: null }), null);
  assert.equal(feedStale(0, 59_999, 60_000), null);
  assert.deepEqual(feedStale(0, 300_000, 60_000), { value: 300_000, severity: "critical" });
  assert.equal(sourceDivergence(100, 101, 1), null);
  assertClose(sourceDivergence(100, 102, 1)?.value ?? null, (2 / 101) * 100, "divergence %");
});

Deno.test("Cooldown lets one alert per (symbol, rule) through per cooldown, in event time", () => {
  const c = new Cooldown(300_000);
  assert.equal(c.allow("A", "r", 0), true);
  assert.equal(c.allow("A", "r", 299_999), false);
  assert.equal(c.allow("B", "r", 1), true);
  assert.equal(c.allow("A", "x", 1), true);
  assert.equal(c.allow("A", "r", 300_000), true);
  assert.equal(c.allow("A", "r", 100_000), false, "an older window inside the cooldown");
});

Deno.test("AnomalyDetector raises price_spike once per cooldown in a storm, with a deterministic id", () => {
  const d = new AnomalyDetector();
  const closes = zigzag(40);
  const alerts = closes.flatMap((c, i) => d.onIndicators(candle(i, c), row(candle(i, c))));
  assert.deepEqual(alerts, []);
  const storm = [];
  let price = closes[39];
  for (let i = 40; i < 45; i++) {
    price *= 1.3;
    storm.push(...d.onIndicators(candle(i, price), row(candle(i, price))));
  }
  assert.equal(storm.length, 1);
  assert.equal(storm[0].rule, "price_spike");
  assert.equal(storm[0].id, alertId("composite", "BTC-USD", "1m", "price_spike", T0 + 40 * M));
  assert.equal(storm[0].id, `BTC-USD|1m|price_spike|${T0 + 40 * M}`);
  assert.equal(storm[0].threshold, 4);
  assert.match(storm[0].message, /z-score/);
});

Deno.test("AnomalyDetector raises volume_spike, and skips it when sizes are unknown", () => {
  const d = new AnomalyDetector({ rules: new Set(["volume_spike"]) });
  for (let i = 0; i < 30; i++) d.onIndicators(candle(i, 100, 10), row(candle(i, 100)));
  const a = d.onIndicators(candle(30, 100, 100), row(candle(30, 100)));
  assert.deepEqual(a.map((x) => [x.rule, x.value, x.severity]), [["volume_spike", 10, "critical"]]);
  const u = new AnomalyDetector({ rules: new Set(["volume_spike"]) });
  for (let i = 0; i < 30; i++) u.onIndicators(candle(i, 100, 0), row(candle(i, 100)));
  assert.deepEqual(u.onIndicators(candle(30, 100, 0), row(candle(30, 100))), []);
});

Deno.test("AnomalyDetector raises band_breakout from the indicator row", () => {
  const d = new AnomalyDetector({ rules: new Set(["band_breakout"]) });
  const c = candle(0, 110);
  const [a] = d.onIndicators(c, row(c, [90, 105]));
  assert.deepEqual([a.rule, a.severity, a.value, a.threshold], ["band_breakout", "info", 110, 105]);
});

Deno.test("AnomalyDetector raises source_divergence only for prices within the time window", () => {
  const d = new AnomalyDetector();
  const t: Tick = { source: "a", symbol: "ETH-USD", price: 2000, size: 1, ts: T0, id: "1" };
  assert.deepEqual(d.onTick(t), []);
  assert.deepEqual(d.onTick({ ...t, source: "b", price: 2100, ts: T0 + 10_001 }), []);
  const d2 = new AnomalyDetector();
  d2.onTick(t);
  const [a] = d2.onTick({ ...t, source: "b", price: 2030, ts: T0 + 5000 });
  assert.equal(a.rule, "source_divergence");
  assert.equal(a.interval, "tick");
  assert.equal(a.window_start, T0 - (T0 % M));
  assertClose(a.value, (30 / 2015) * 100, "percent");
});

Deno.test("AnomalyDetector.checkStale() uses the processing time it is given", () => {
  const d = new AnomalyDetector();
  const t: Tick = { source: "coincap", symbol: "SOL-USD", price: 20, size: null, ts: T0, id: "1" };
  d.onTick(t, T0 + 500);
  assert.deepEqual(d.checkStale(T0 + 60_499), []);
  const [a] = d.checkStale(T0 + 60_500);
  assert.deepEqual([a.rule, a.symbol, a.severity, a.value, a.threshold], [
    "feed_stale",
    "SOL-USD",
    "warning",
    60_000,
    60_000,
  ]);
  assert.deepEqual(d.checkStale(T0 + 120_000), [], "cooldown");
  assert.equal(d.checkStale(T0 + 60_500 + 300_000)[0].severity, "critical");
});

Deno.test("AnomalyDetector tracks at most MAX_SOURCES_PER_SYMBOL sources of a symbol", () => {
  const detector = new AnomalyDetector({ rules: new Set(["source_divergence"]) });
  const t = { symbol: "BTC-USD", price: 100, size: 1, ts: 1_700_000_000_000, id: "1" };
  for (let i = 0; i < 1000; i++) detector.onTick({ ...t, source: `s${i}` });
  // A source beyond the limit is not compared: its far-off price raises nothing.
  assert.deepEqual(detector.onTick({ ...t, source: "late-comer", price: 200 }), []);
  // One within the limit still is.
  assert.equal(detector.onTick({ ...t, source: "s0", price: 200 })[0]?.rule, "source_divergence");
  assert.equal(MAX_SOURCES_PER_SYMBOL, 16);
});
