import assert from "node:assert/strict";
import { RollingScores, summarise } from "../../../src/market/forecast/rolling_scores.ts";
import { ScoreTracker } from "../../../src/market/forecast/score_tracker.ts";
import type { ForecastUpdate, Prediction } from "../../../src/market/forecast/prediction.ts";

const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;

Deno.test("summarise(): MAE, RMSE, direction and QLIKE by hand", () => {
  const s = summarise([
    { realised: 0.02, ridge: 0.01, ewma: 4e-4, garch: 1e-4, squaredReturn: 0 },
    { realised: -0.01, ridge: 0.005, ewma: 1e-4, garch: 4e-4, squaredReturn: 9e-4 },
    { realised: 0.03, ridge: null, ewma: 1e-4, garch: null, squaredReturn: 1e-4 },
  ]);
  assert.equal(s.n, 3);
  assert.equal(s.returns, 2);
  assert.ok(close(s.mae.ridge, (0.01 + 0.015) / 2));
  assert.ok(close(s.mae.zero, (0.02 + 0.01) / 2));
  assert.ok(close(s.rmse.ridge, Math.sqrt((1e-4 + 2.25e-4) / 2)));
  assert.ok(close(s.rmse.zero, Math.sqrt((4e-4 + 1e-4) / 2)));
  assert.equal(s.direction.n, 2);
  assert.equal(s.direction.accuracy, 0.5);
  // Wilson interval of 1 out of 2 at z = 1.96, computed here from its formula.
  const z = 1.96, n = 2, p = 0.5;
  const centre = (p + z * z / (2 * n)) / (1 + z * z / n);
  const half = z / (1 + z * z / n) * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n));
  assert.ok(close(s.direction.ci[0], centre - half) && close(s.direction.ci[1], centre + half));
  // Volatility only where all three exist: the first two; the zero squared return is floored.
  assert.equal(s.volatility, 2);
  const q = (h: number, r: number) => Math.log(h) + r * r / h;
  assert.ok(close(s.qlike.ewma, (q(4e-4, 0.02) + q(1e-4, -0.01)) / 2));
  assert.ok(close(s.qlike.garch, (q(1e-4, 0.02) + q(4e-4, -0.01)) / 2));
  assert.ok(close(s.qlike.squared_return, (q(1e-12, 0.02) + q(9e-4, -0.01)) / 2));
});

Deno.test("RollingScores keeps the last `capacity` per interval", () => {
  const r = new RollingScores(3);
  for (let i = 1; i <= 5; i++) {
    r.add("1m", { realised: i, ridge: 0, ewma: null, garch: null, squaredReturn: null });
  }
  r.add("5m", { realised: 10, ridge: 0, ewma: null, garch: null, squaredReturn: null });
  assert.equal(r.summary("1m").n, 3);
  assert.equal(r.summary("1m").mae.zero, (3 + 4 + 5) / 3);
  assert.equal(r.summary("5m").mae.zero, 10);
  assert.deepEqual(r.intervals().sort(), ["1m", "5m"]);
  assert.ok(Number.isNaN(r.summary("1h").mae.zero));
});

const MIN = 60_000;
function update(windowStart: number, ridge: number | null, vol: number | null): ForecastUpdate {
  const base = { key: "k", targetWindowStart: windowStart + MIN, version: 1, fallback: null };
  const predictions: Prediction[] = [
    { ...base, model: "ewma", predictedReturn: null, predictedVol: vol, probUp: null },
    { ...base, model: "garch", predictedReturn: null, predictedVol: vol && vol * 2, probUp: null },
    { ...base, model: "ridge", predictedReturn: ridge, predictedVol: null, probUp: 0.5 },
  ];
  return {
    key: "k",
    windowStart,
    targetWindowStart: windowStart + MIN,
    predictions,
    anomalyScore: null,
  };
}

Deno.test("ScoreTracker scores the forecasts after a candle on the next window's close, once", () => {
  const t = new ScoreTracker();
  const c = (k: number, close: number) => ({ window_start: k * MIN, close });
  assert.equal(t.onCandle("k", c(0, 100), update(0, 0.01, 0.02)), null);
  // A revision of the newest candle replaces its forecasts and its close.
  assert.equal(t.onCandle("k", c(0, 101), update(0, 0.03, 0.01)), null);
  const s = t.onCandle("k", c(1, 102), update(MIN, -0.01, 0.02));
  assert.deepEqual(s, {
    realised: Math.log(102 / 101),
    ridge: 0.03,
    ewma: 0.01 ** 2,
    garch: 0.02 ** 2,
    squaredReturn: null, // no candle before the first
  });
  // The baseline after candle 1 is its own squared return.
  const s2 = t.onCandle("k", c(2, 100), update(2 * MIN, 0, 0.02))!;
  assert.equal(s2.squaredReturn, Math.log(102 / 101) ** 2);
  // Revisions of older candles, and the target's own revision, score nothing again.
  assert.equal(t.onCandle("k", c(1, 99), update(MIN, 0, 0.02)), null);
  assert.equal(t.onCandle("k", c(2, 98), update(2 * MIN, 0, 0.02)), null);
  // A gap: the forecasts were for window 3, the next candle is window 5.
  assert.equal(t.onCandle("k", c(5, 100), update(5 * MIN, 0, 0.02)), null);
});

Deno.test("ScoreTracker holds at most maxSeries series, the stalest going first", () => {
  const t = new ScoreTracker(1);
  t.onCandle("a", { window_start: 0, close: 1 }, update(0, 0, 0.01));
  t.onCandle("b", { window_start: MIN, close: 1 }, update(MIN, 0, 0.01));
  // "a" was forgotten: its next candle scores nothing.
  assert.equal(t.onCandle("a", { window_start: MIN, close: 1 }, update(MIN, 0, 0.01)), null);
});
