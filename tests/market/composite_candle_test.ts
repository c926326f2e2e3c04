import assert from "node:assert/strict";
import type { Candle } from "../../src/market/candle.ts";
import { compositeCandle } from "../../src/market/composite_candle.ts";
import { weightedMean } from "../../src/market/weighted_mean.ts";
import { Prng } from "../../src/feeds/prng.ts";
import { referenceComposite, referenceWeightedMean } from "../helpers/composite_reference.ts";

const T0 = Date.UTC(2026, 0, 1);
const M = 60_000;

function venue(name: string, over: Partial<Candle> = {}): Candle {
  return {
    venue: name,
    symbol: "BTC-USD",
    interval: "5m",
    window_start: T0,
    open: 100,
    high: 101,
    low: 99,
    close: 100.5,
    volume: 1,
    vwap: 100.25,
    trades: 3,
    first_ts: T0 + 1000,
    last_ts: T0 + 5 * M - 1000,
    version: 1,
    ...over,
  };
}

const round = (x: number, d: number) => Number(x.toFixed(d));

Deno.test("weightedMean is the correctly rounded Σw·x/Σw (against big-integer rationals)", () => {
  const rng = new Prng(7);
  for (let n = 0; n < 3000; n++) {
    const k = 1 + rng.int(6);
    const xs = Array.from({ length: k }, () => round(100 * Math.exp(rng.normal() * 0.01), 2));
    const ws = Array.from({ length: k }, () => round(rng.next() * 3, 6));
    if (ws.every((w) => !(w > 0))) ws[0] = 1;
    assert.equal(weightedMean(xs, ws), referenceWeightedMean(xs, ws), `${xs} by ${ws}`);
  }
  // Thirds and other inexact doubles too.
  for (let n = 0; n < 1000; n++) {
    const xs = [rng.next() * 1e4, rng.next() / 3, 1 / 3 + rng.next()];
    const ws = [rng.next(), rng.next() * 1e-3, 1 / 7];
    assert.equal(weightedMean(xs, ws), referenceWeightedMean(xs, ws));
  }
});

Deno.test("weightedMean gives back a single value, or equal values, exactly", () => {
  for (const x of [0.1, 1 / 3, 60000.5, 3150.123456789]) {
    assert.equal(weightedMean([x], [3]), x);
    assert.equal(weightedMean([x, x, x], [0.1, 7, 1 / 3]), x);
  }
  assert.throws(() => weightedMean([1], [0]), RangeError);
  assert.throws(() => weightedMean([1, 2], [1]), RangeError);
});

Deno.test("compositeCandle: the example window of docs/analytics.md, worked by hand", () => {
  const end = T0 + 5 * M;
  const candles = [
    venue("coinbase", { open: 100, high: 103, low: 99, close: 102, volume: 2, vwap: 101 }),
    venue("kraken", { open: 101, high: 102, low: 100, close: 101, volume: 1, vwap: 101.5 }),
    venue("binance", { open: 100, high: 104, low: 98, close: 103, volume: 1, vwap: 100.5 }),
    // Outlier: 150 is 48.75 from the median 101.25 of the four fresh VWAPs; their MAD is 0.5,
    // so 97.5 MADs > 5.
    venue("bitstamp", { open: 150, high: 151, low: 149, close: 150, volume: 5, vwap: 150 }),
    // Stale: its last trade 90 s before the window's end (> 60 s).
    venue("gemini", { close: 101.5, volume: 4, vwap: 101, last_ts: end - 90_000 }),
  ];
  const c = compositeCandle(candles, end, 1)!;
  assert.deepEqual(c.constituents, ["binance", "coinbase", "kraken"]);
  assert.deepEqual(c.excluded, [
    { venue: "bitstamp", reason: "outlier" },
    { venue: "gemini", reason: "stale" },
  ]);
  // Weights 1, 2, 1 (binance, coinbase, kraken); Σ = 4.
  assert.equal(c.volume, 4);
  assert.equal(c.open, (100 + 2 * 100 + 101) / 4); // 100.25
  assert.equal(c.close, (103 + 2 * 102 + 101) / 4); // 102
  assert.equal(c.vwap, (100.5 + 2 * 101 + 101.5) / 4); // 101
  assert.equal(c.high, 104);
  assert.equal(c.low, 98);
  assert.equal(c.trades, 9);
  assert.equal(c.venue, "composite");
  assert.equal(c.version, 1);
});

Deno.test("compositeCandle keeps every venue when all are stale, and tests outliers only from three", () => {
  const end = T0 + 5 * M;
  const stale = [venue("a", { last_ts: T0 }), venue("b", { last_ts: T0 + 1 })];
  assert.deepEqual(compositeCandle(stale, end, 1)!.constituents, ["a", "b"]);
  const apart = [venue("a", { vwap: 100 }), venue("b", { vwap: 200 })];
  assert.deepEqual(compositeCandle(apart, end, 1)!.excluded, [], "two venues: no median to trust");
  const noVolume = [
    venue("a", { volume: 0, vwap: null, open: 1 }),
    venue("b", {
      volume: 0,
      vwap: null,
      open: 2,
    }),
  ];
  const c = compositeCandle(noVolume, end, 1)!;
  assert.equal(c.open, 1.5, "equal weights without volume");
  assert.equal(c.vwap, null);
  assert.equal(compositeCandle(stale, end, 1, { venues: ["x"] }), null, "no feeding venue");
});

Deno.test("compositeCandle equals the independent recomputation on random windows with planted stale and outlier venues", () => {
  const rng = new Prng(2026);
  const names = ["binance", "coinbase", "coincap", "kraken", "replay-a", "simulator"];
  let stales = 0;
  let outliers = 0;
  for (let n = 0; n < 2000; n++) {
    const end = T0 + 5 * M;
    const mid = 100 * Math.exp(rng.normal() * 0.1);
    const picked = names.filter(() => rng.next() < 0.6);
    if (picked.length === 0) continue;
    const plantedStale = picked.length > 1 && rng.next() < 0.3 ? picked[0] : null;
    const plantedOutlier = picked.length > 3 && rng.next() < 0.4 ? picked.at(-1)! : null;
    const candles = picked.map((name) => {
      const level = mid * (name === plantedOutlier ? 1.2 : 1 + rng.normal() * 0.0002);
      const px = () => round(level * (1 + rng.normal() * 0.0005), 2);
      const [open, close] = [px(), px()];
      const volume = name === "coincap" ? 0 : round(rng.next() * 5, 6);
      const hi = Math.max(open, close, px());
      const lo = Math.min(open, close, px());
      return venue(name, {
        open,
        close,
        high: hi,
        low: lo,
        volume,
        vwap: volume > 0 ? round(level, 4) : null,
        trades: 1 + rng.int(50),
        last_ts: name === plantedStale ? end - 61_000 - rng.int(100_000) : end - rng.int(60_000),
      });
    });
    const got = compositeCandle(candles, end, 3);
    const want = referenceComposite(candles, 5 * M, 3);
    assert.deepEqual(got, want, `window ${n}`);
    const reasons = new Map(got!.excluded!.map((e) => [e.venue, e.reason]));
    if (plantedStale && picked.length > 1) {
      assert.equal(reasons.get(plantedStale), "stale", `window ${n}: planted stale`);
      stales++;
    }
    const fresh = picked.filter((v) => v !== plantedStale);
    if (plantedOutlier && plantedOutlier !== plantedStale && fresh.length >= 3) {
      assert.equal(reasons.get(plantedOutlier), "outlier", `window ${n}: planted outlier`);
      outliers++;
    }
  }
  assert.ok(stales > 100 && outliers > 100, `planted ${stales} stale, ${outliers} outliers`);
});
