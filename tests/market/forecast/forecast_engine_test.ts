import { deepStrictEqual as assertEquals, ok, throws } from "node:assert/strict";
import {
  ForecastEngine,
  type ForecastEngineOptions,
} from "../../../src/market/forecast/forecast_engine.ts";
import { forecastWindow, resolveSettings } from "../../../src/market/forecast/forecast_window.ts";
import { ewmaVariance } from "../../../src/market/forecast/ewma_volatility.ts";
import type { ForecastUpdate } from "../../../src/market/forecast/prediction.ts";
import type { WindowCandle } from "../../../src/market/forecast/window_candle.ts";
import { mulberry32 } from "../prng.ts";

const MIN = 60_000;
const OPTIONS: ForecastEngineOptions = {
  window: 120,
  refitEvery: 20,
  garch: { minReturns: 50 },
  anomalyWindow: 60,
  anomaly: { minReference: 30, seed: 3 },
  revisable: 8,
};

/** Candles with GARCH-like returns; every 7th window has no trades (no candle). */
function series(n: number, seed: number): WindowCandle[] {
  const u = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  let h = 4e-6, close = 100;
  const out: WindowCandle[] = [];
  for (let i = 0; i < n; i++) {
    const r = Math.sqrt(h) * normal();
    h = 2e-7 + 0.1 * r * r + 0.85 * h;
    close *= Math.exp(r);
    if (i % 7 === 3) continue;
    const range = Math.abs(r) + 0.001 * u();
    out.push({
      window_start: 1_700_000_000_000 - (1_700_000_000_000 % MIN) + i * MIN,
      high: close * (1 + range),
      low: close * (1 - range),
      close,
      volume: 5 + 10 * u(),
      version: 1,
    });
  }
  return out;
}

/** The final version of some candles: close moved a little, version 2. */
function revised(c: WindowCandle): WindowCandle {
  return { ...c, close: c.close * 1.0003, high: c.high * 1.0003, version: 2 };
}

type Delivery = [key: string, candle: WindowCandle];

/** In order: each candle, then its revision right after for every 5th. */
function inOrder(keys: Record<string, WindowCandle[]>): Delivery[] {
  const out: Delivery[] = [];
  for (const [key, cs] of Object.entries(keys)) {
    cs.forEach((c, i) => {
      out.push([key, c]);
      if (i % 5 === 0) out.push([key, revised(c)]);
    });
  }
  return out;
}

/**
 * Keys interleaved, every third candle delivered after its successor (a late first candle of
 * an older window), revisions delayed by three candles, every 10th revision arriving before
 * its version 1 (which is then ignored).
 */
function shuffled(keys: Record<string, WindowCandle[]>): Delivery[] {
  const perKey = Object.entries(keys).map(([key, cs]) => {
    const out: Delivery[] = [];
    const pendingRevisions: [number, WindowCandle][] = [];
    for (let i = 0; i < cs.length; i++) {
      const swap = i % 3 === 1 && i + 1 < cs.length;
      const order = swap ? [i + 1, i] : [i];
      for (const k of order) {
        if (k % 10 === 0) out.push([key, revised(cs[k])]);
        out.push([key, cs[k]]);
        if (k % 5 === 0 && k % 10 !== 0) pendingRevisions.push([k + 3, revised(cs[k])]);
      }
      if (swap) i++;
      while (pendingRevisions.length > 0 && pendingRevisions[0][0] <= i) {
        out.push([key, pendingRevisions.shift()![1]]);
      }
    }
    for (const [, c] of pendingRevisions) out.push([key, c]);
    return out;
  });
  const out: Delivery[] = [];
  for (let i = 0; perKey.some((d) => i < d.length); i++) {
    for (const d of perKey) if (i < d.length) out.push(d[i]);
  }
  return out;
}

/** The last update emitted per (key, target): what an upserting store ends with. */
function lastPerTarget(
  deliveries: Delivery[],
): { last: Map<string, ForecastUpdate>; emitted: number } {
  const engine = new ForecastEngine(OPTIONS);
  const last = new Map<string, ForecastUpdate>();
  let emitted = 0;
  for (const [key, c] of deliveries) {
    for (const u of engine.onCandle(key, MIN, c)) {
      last.set(`${key}|${u.targetWindowStart}`, u);
      emitted++;
    }
  }
  return { last, emitted };
}

const KEYS = { "sim|BTC-USD|1m": series(400, 1), "sim|ETH-USD|1m": series(400, 2) };

Deno.test("ForecastEngine: same predictions whatever the order and batching of the same candles", () => {
  const { last: a, emitted: inOrderCount } = lastPerTarget(inOrder(KEYS));
  const { last: b, emitted: shuffledCount } = lastPerTarget(shuffled(KEYS));
  // The shuffle made the engine recompute (late candles, delayed revisions) ...
  ok(shuffledCount > inOrderCount + 100, `${shuffledCount} vs ${inOrderCount}`);
  // ... and it ends with the same forecast for every target.
  assertEquals(b.size, a.size);
  for (const [k, u] of a) assertEquals(b.get(k), u, k);
  // The models all ran: GARCH fitted (no fallback) late in the series, ridge and the score too.
  const late = [...a.values()].at(-1)!;
  const garch = late.predictions.find((p) => p.model === "garch")!;
  assertEquals(garch.fallback, null);
  ok(late.predictions.find((p) => p.model === "ridge")!.predictedReturn !== null);
  ok(late.anomalyScore !== null);
});

Deno.test("ForecastEngine: warm-up from the last stored candles reproduces an uninterrupted run", () => {
  const deliveries = inOrder(KEYS);
  const full = new ForecastEngine(OPTIONS);
  const cut = Math.floor(deliveries.length * 0.6);
  const expected: ForecastUpdate[] = [];
  deliveries.forEach(([key, c], i) => {
    const out = full.onCandle(key, MIN, c);
    if (i >= cut) expected.push(...out);
  });
  // A new owner: the stored candles (final versions) up to the cut, those of the last N + revisable
  // intervals per key.
  const stored = new Map<string, Map<number, WindowCandle>>();
  for (const [key, c] of deliveries.slice(0, cut)) {
    const m = stored.get(key) ?? new Map<number, WindowCandle>();
    m.set(c.window_start, c);
    stored.set(key, m);
  }
  const warm = new ForecastEngine(OPTIONS);
  for (const [key, m] of stored) {
    assertEquals(warm.warmUpIntervals, 128);
    const newest = Math.max(...m.keys());
    const last = [...m.values()].filter((c) => c.window_start > newest - 128 * MIN);
    warm.warmUp(key, MIN, last.reverse()); // newest first: any order
  }
  const got: ForecastUpdate[] = [];
  for (const [key, c] of deliveries.slice(cut)) got.push(...warm.onCandle(key, MIN, c));
  ok(expected.length > 100);
  assertEquals(got, expected);
});

Deno.test("forecastWindow: EWMA is the window's RiskMetrics σ; the version sums candle versions", () => {
  const cs = series(60, 4).map((c, i) => (i === 10 ? revised(c) : c));
  const s = resolveSettings({ window: 60, refitEvery: 10, lambda: 0.9 });
  const u = forecastWindow("k", MIN, cs, s, { scorer: null, fits: new Map() });
  const closes = cs.map((c) => c.close);
  const r = closes.slice(1).map((c, i) => Math.log(c / closes[i]));
  const ewma = u.predictions.find((p) => p.model === "ewma")!;
  assertEquals(ewma.predictedVol, Math.sqrt(ewmaVariance(r, 0.9)!));
  assertEquals(ewma.version, cs.length + 1);
  assertEquals(u.targetWindowStart, cs.at(-1)!.window_start + MIN);
  // Too little data before the first refit point: GARCH serves EWMA and says why.
  const garch = u.predictions.find((p) => p.model === "garch")!;
  ok(garch.fallback === "too_few" || garch.fallback === "warmup");
  assertEquals(garch.predictedVol, ewma.predictedVol);
});

Deno.test("ForecastEngine: counts fits and fallbacks; bad settings are all reported", () => {
  const engine = new ForecastEngine(OPTIONS);
  for (const c of KEYS["sim|BTC-USD|1m"]) engine.onCandle("k", MIN, c);
  ok(engine.garchFits > 0 && engine.garchFits < 30, `${engine.garchFits} fits`);
  ok((engine.garchFallbacks.get("too_few") ?? 0) + (engine.garchFallbacks.get("warmup") ?? 0) > 0);
  throws(
    () => new ForecastEngine({ window: 2, lambda: 1.5, refitEvery: 0 }),
    /window 2.*refitEvery 0.*λ/,
  );
});

Deno.test("ForecastEngine: keys beyond maxKeys evict the one whose newest candle is oldest", () => {
  const engine = new ForecastEngine({ ...OPTIONS, maxKeys: 2, anomaly: null });
  const cs = KEYS["sim|BTC-USD|1m"];
  engine.onCandle("a", MIN, cs[5]);
  engine.onCandle("b", MIN, cs[9]);
  engine.onCandle("c", MIN, cs[7]); // evicts a (newest candle oldest)
  assertEquals(engine.keys, 2);
  // b kept its candle: a redelivery changes nothing; a came back cold and forecasts again.
  assertEquals(engine.onCandle("b", MIN, cs[9]), []);
  assertEquals(engine.onCandle("a", MIN, cs[5]).length, 1);
});

Deno.test("ForecastEngine: a late first candle inside a full window raises the version", () => {
  // Version-2 candles everywhere, so dropping one from a count-based window would lower the sum.
  const cs = KEYS["sim|BTC-USD|1m"].slice(0, 200).map(revised);
  const engine = new ForecastEngine({ ...OPTIONS, anomaly: null });
  const late = cs[195];
  let before = 0;
  for (const c of cs) {
    if (c === late) continue;
    const [u] = engine.onCandle("k", MIN, c);
    before = u.predictions[0].version;
  }
  const after = engine.onCandle("k", MIN, { ...late, version: 1 });
  assertEquals(after.length, 5); // its own forecast and the four after it
  ok(
    after.at(-1)!.predictions[0].version > before,
    `${after.at(-1)!.predictions[0].version} ≤ ${before}`,
  );
  // Older than the revisable intervals: ignored.
  assertEquals(engine.onCandle("k", MIN, { ...cs[150], version: 3 }), []);
});
