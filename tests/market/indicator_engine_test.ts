import assert from "node:assert/strict";
import type { Candle } from "../../src/market/candle.ts";
import { IndicatorEngine } from "../../src/market/indicator_engine.ts";
import { bollinger } from "../../src/market/indicators/bollinger.ts";
import { ema } from "../../src/market/indicators/ema.ts";
import { rsi } from "../../src/market/indicators/rsi.ts";
import { sma } from "../../src/market/indicators/sma.ts";
import { volatility } from "../../src/market/indicators/volatility.ts";
import { assertClose, mulberry32 } from "./prng.ts";

const M = 60_000;

function candle(i: number, close: number, version = 1, symbol = "BTC-USD"): Candle {
  return {
    venue: "composite",
    symbol,
    interval: "1m",
    window_start: i * M,
    open: close,
    high: close,
    low: close,
    close,
    volume: 1,
    vwap: close,
    trades: 1,
    first_ts: i * M,
    last_ts: i * M,
    version,
  };
}

function series(seed: number, n: number): number[] {
  const rnd = mulberry32(seed);
  const out = [100];
  for (let i = 1; i < n; i++) out.push(out[i - 1] * (1 + (rnd() - 0.5) / 50));
  return out;
}

Deno.test("IndicatorEngine rows equal the array indicators with the default periods, warm-up included", () => {
  const closes = series(4, 200);
  const engine = new IndicatorEngine();
  const rows = closes.flatMap((c, i) => engine.onCandle(candle(i, c)));
  assert.equal(rows.length, closes.length);
  const want = {
    sma: sma(closes, 20),
    ema_fast: ema(closes, 12),
    ema_slow: ema(closes, 26),
    rsi: rsi(closes, 14),
    bb: bollinger(closes, { period: 20, multiplier: 2 }),
    volatility: volatility(closes, 20),
  };
  rows.forEach((r, i) => {
    assert.equal(r.window_start, i * M);
    assert.equal(r.version, 1);
    assertClose(r.sma, want.sma[i], `sma[${i}]`);
    assertClose(r.ema_fast, want.ema_fast[i], `ema_fast[${i}]`);
    assertClose(r.ema_slow, want.ema_slow[i], `ema_slow[${i}]`);
    assertClose(r.rsi, want.rsi[i], `rsi[${i}]`);
    assertClose(r.bb_upper, want.bb[i]?.upper ?? null, `bb_upper[${i}]`);
    assertClose(r.bb_lower, want.bb[i]?.lower ?? null, `bb_lower[${i}]`);
    assertClose(r.volatility, want.volatility[i], `volatility[${i}]`);
  });
  assert.equal(rows[18].sma, null);
  assert.notEqual(rows[19].sma, null);
  assert.equal(rows[13].rsi, null);
  assert.notEqual(rows[14].rsi, null);
});

Deno.test("IndicatorEngine recomputes a revised row and the rows after it, with higher versions", () => {
  const closes = series(5, 40);
  const engine = new IndicatorEngine({
    sma: 3,
    emaFast: 3,
    emaSlow: 5,
    rsi: 3,
    bollingerPeriod: 3,
    volatility: 3,
  });
  for (let i = 0; i < 40; i++) engine.onCandle(candle(i, closes[i]));
  const revisedClose = closes[37] * 1.01;
  const rows = engine.onCandle(candle(37, revisedClose, 2));
  assert.deepEqual(rows.map((r) => [r.window_start / M, r.version]), [[37, 2], [38, 2], [39, 2]]);
  const fixed = [...closes];
  fixed[37] = revisedClose;
  assertClose(rows[2].ema_fast, ema(fixed, 3)[39], "ema after revision");
  assertClose(rows[2].rsi, rsi(fixed, 3)[39], "rsi after revision");
  assertClose(rows[1].sma, sma(fixed, 3)[38], "sma after revision");
  // Redelivery of the same version changes nothing.
  assert.deepEqual(engine.onCandle(candle(37, revisedClose, 2)), []);
  assert.deepEqual(engine.onCandle(candle(36, closes[36], 1)), []);
  // The next row continues from the revised state.
  const next = engine.onCandle(candle(40, 101));
  assertClose(next[0].ema_fast, ema([...fixed, 101], 3)[40], "ema continues");
  assert.equal(next[0].version, 1);
});

Deno.test("IndicatorEngine inserts a late first candle of an older window and recomputes after it", () => {
  const engine = new IndicatorEngine({
    sma: 2,
    emaFast: 2,
    emaSlow: 2,
    rsi: 2,
    bollingerPeriod: 2,
    volatility: 2,
  });
  engine.onCandle(candle(0, 10));
  engine.onCandle(candle(2, 30));
  const rows = engine.onCandle(candle(1, 20));
  assert.deepEqual(rows.map((r) => [r.window_start / M, r.version, r.sma]), [[1, 1, 15], [
    2,
    2,
    25,
  ]]);
});

Deno.test("IndicatorEngine keeps series apart and bounded", () => {
  const engine = new IndicatorEngine({ sma: 2, revisable: 4 });
  for (let i = 0; i < 500; i++) {
    engine.onCandle(candle(i, 100 + i));
    engine.onCandle(candle(i, 200 + i, 1, "ETH-USD"));
  }
  const [btc] = engine.onCandle(candle(500, 600));
  assert.equal(btc.sma, (599 + 600) / 2);
  // Far older than the revisable horizon: ignored rather than recomputed from missing state.
  assert.deepEqual(engine.onCandle(candle(10, 1, 2)), []);
});

Deno.test("IndicatorEngine keeps at most maxSeries series, forgetting the least recently updated", () => {
  const engine = new IndicatorEngine({ sma: 2, maxSeries: 2 });
  engine.onCandle(candle(0, 1, 1, "A-USD"));
  engine.onCandle(candle(1, 1, 1, "B-USD"));
  engine.onCandle(candle(2, 3, 1, "A-USD"));
  engine.onCandle(candle(3, 5, 1, "C-USD")); // B is the oldest: forgotten
  assert.equal(engine.onCandle(candle(4, 5, 1, "A-USD"))[0].sma, 4, "A kept its history");
  assert.equal(engine.onCandle(candle(5, 7, 1, "B-USD"))[0].sma, null, "B starts cold");
});
