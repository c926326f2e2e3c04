import assert from "node:assert/strict";
import { createCandleAnalytics } from "../../actors/analytics/analytics_logic.ts";
import type { ForecastConfig } from "../../src/config/pipeline_config.ts";
import type { Candle } from "../../src/market/candle.ts";
import { ForecastEngine } from "../../src/market/forecast/forecast_engine.ts";
import type { PredictionRow } from "../../src/market/forecast/prediction_row.ts";

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);

const CONFIG: ForecastConfig = {
  models: ["ewma", "garch", "ridge"],
  window: 60,
  ewmaLambda: 0.94,
  refitEvery: 10,
  garchMethod: "targeting",
  ridgeAlpha: 0.1,
  learnedAnomaly: true,
  learnedAnomalyThreshold: 3,
  learnedAnomalyWindow: 40,
  learnedAnomalySeed: 1,
};

/** A seeded random walk of 1m candles for two symbols; BTC-USD's `spikes` jump 30 %. */
function candles(n: number, ...spikes: number[]): Candle[] {
  let seed = 7;
  const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const out: Candle[] = [];
  const close: Record<string, number> = { "BTC-USD": 100, "ETH-USD": 50 };
  for (let i = 0; i < n; i++) {
    for (const symbol of ["BTC-USD", "ETH-USD"]) {
      const prev = close[symbol];
      const jump = symbol === "BTC-USD" && spikes.includes(i) ? 1.3 : 1;
      const c = prev * Math.exp((rand() - 0.5) * 0.004) * jump;
      close[symbol] = c;
      out.push({
        venue: "composite",
        symbol,
        interval: "1m",
        window_start: T0 + i * MIN,
        open: prev,
        high: Math.max(prev, c) * (1 + rand() * 0.001),
        low: Math.min(prev, c) * (1 - rand() * 0.001),
        close: c,
        volume: 1 + rand() * (jump > 1 ? 50 : 1),
        vwap: c,
        trades: 3,
        first_ts: T0 + i * MIN,
        last_ts: T0 + i * MIN + 1,
        version: 1,
      });
    }
  }
  return out;
}

const settings = { venues: ["composite"], forecasts: CONFIG };

Deno.test("analytics: a prediction row per model after each candle, for the next window", () => {
  const logic = createCandleAnalytics(settings);
  const input = candles(80);
  const rows: PredictionRow[] = [];
  for (const c of input) rows.push(...logic.onCandle(c).predictions);
  assert.equal(rows.length, input.length * 3);
  const last = rows.slice(-3);
  assert.deepEqual(last.map((r) => r.model), ["ewma", "garch", "ridge"]);
  for (const r of last) {
    assert.equal(r.venue, "composite");
    assert.equal(r.symbol, "ETH-USD");
    assert.equal(r.target_window_start, T0 + 80 * MIN);
    assert.equal(r.window_start, T0 + 79 * MIN);
    // The window holds the last 60 candles, each version 1.
    assert.equal(r.version, 60);
  }
  // EWMA recomputed here by the RiskMetrics recursion over the window's closes.
  const closes = input.filter((c) => c.symbol === "ETH-USD").slice(-60).map((c) => c.close);
  const r = closes.slice(1).map((c, i) => Math.log(c / closes[i]));
  let v = r.reduce((s, x) => s + x * x, 0) / r.length;
  for (const x of r) v = 0.94 * v + 0.06 * x * x;
  assert.ok(Math.abs(last[0].predicted_vol! - Math.sqrt(v)) < 1e-15);
  assert.equal(last[0].predicted_return, null);
  assert.ok(last[2].prob_up! > 0 && last[2].prob_up! < 1);
});

Deno.test("analytics: other venues' candles get no predictions", () => {
  const logic = createCandleAnalytics(settings);
  const out = logic.onCandle({ ...candles(1)[0], venue: "kraken" });
  assert.deepEqual(out.predictions, []);
});

Deno.test("analytics: forecasts off with no models and no learned anomaly score", () => {
  const logic = createCandleAnalytics({
    ...settings,
    forecasts: { ...CONFIG, models: [], learnedAnomaly: false },
  });
  for (const c of candles(30)) assert.deepEqual(logic.onCandle(c).predictions, []);
});

Deno.test("analytics: a planted jump raises one learned_anomaly alert with the rules' id", () => {
  const logic = createCandleAnalytics(settings);
  const alerts = candles(120, 100).flatMap((c) => logic.onCandle(c).alerts)
    .filter((a) => a.rule === "learned_anomaly");
  const planted = alerts.filter((a) => a.window_start === T0 + 100 * MIN);
  assert.equal(planted.length, 1, JSON.stringify(alerts));
  assert.equal(planted[0].id, `BTC-USD|1m|learned_anomaly|${T0 + 100 * MIN}`);
  assert.equal(planted[0].threshold, 3);
  assert.ok(planted[0].value >= 3);
});

Deno.test("analytics: a warmed-up owner emits what an uninterrupted run emits, alerts included", () => {
  // A second jump two minutes after the first: inside the first alert's cooldown.
  const input = candles(160, 140, 142);
  const cut = 2 * 141; // up to and including the first jump: its cooldown must carry over
  const whole = createCandleAnalytics(settings);
  const expected = input.map((c) => whole.onCandle(c)).slice(cut);
  const owner = createCandleAnalytics(settings);
  // As a history reads them: series by series, oldest first.
  const history = input.slice(0, cut);
  owner.warmUp(["BTC-USD", "ETH-USD"].flatMap((s) => history.filter((c) => c.symbol === s)));
  const got = input.slice(cut).map((c) => owner.onCandle(c));
  assert.deepEqual(got, expected);
  const second = (out: typeof got) =>
    out.flatMap((o) => o.alerts).filter((a) =>
      a.rule === "learned_anomaly" && a.window_start === T0 + 142 * MIN
    );
  assert.deepEqual(second(got), []);
  // Honest: the second jump scores over the threshold, so only the rebuilt cooldown held it back.
  const engine = new ForecastEngine({ window: 60, refitEvery: 10, anomalyWindow: 40 });
  const scores = input.filter((c) => c.symbol === "BTC-USD")
    .map((c) => engine.onCandle("k", MIN, c)[0].anomalyScore);
  assert.ok(scores[142]! >= 3, `score ${scores[142]}`);
  // The redelivered last candle changes nothing.
  assert.deepEqual(owner.onCandle(input[input.length - 1]).predictions, []);
});

Deno.test("analytics: a revision recomputes the later forecasts with a higher version", () => {
  const input = candles(70);
  const logic = createCandleAnalytics(settings);
  for (const c of input) logic.onCandle(c);
  const old = input[input.length - 6];
  const out = logic.onCandle({ ...old, close: old.close * 1.01, version: 2 });
  // Its own forecasts and the two later candles' of that symbol.
  assert.equal(out.predictions.length, 3 * 3);
  assert.deepEqual(
    [...new Set(out.predictions.map((p) => p.target_window_start))],
    [old.window_start + MIN, old.window_start + 2 * MIN, old.window_start + 3 * MIN],
  );
  assert.ok(out.predictions.every((p) => p.version === 61));
});
