import assert from "node:assert/strict";
import { createCandleAnalytics } from "../../actors/analytics/analytics_logic.ts";
import { ForecastEngine } from "../../src/market/forecast/forecast_engine.ts";
import type { PredictionRow } from "../../src/market/forecast/prediction_row.ts";
import {
  candles,
  FORECAST_CONFIG as CONFIG,
  MIN,
  stored,
  T0,
  venueSteps,
} from "../helpers/forecast_candles.ts";

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

const twoVenues = { venues: ["composite", "kraken"], forecasts: CONFIG };

Deno.test("analytics: with two venues a warmed-up owner emits what an uninterrupted run emits, revisions included", () => {
  // Revisions after the cut (of kraken, an analytics venue, and of coinbase, which only feeds the
  // spreads) and one before it that the stored candles carry.
  const input = venueSteps(160, [
    { at: 120, venue: "coinbase" },
    { at: 150, venue: "kraken" },
    { at: 152, venue: "coinbase" },
  ]);
  const cut = input.findIndex((c) => c.window_start === T0 + 141 * MIN);
  const whole = createCandleAnalytics(twoVenues);
  const expected = input.map((c) => whole.onCandle(c)).slice(cut);
  const owner = createCandleAnalytics(twoVenues);
  owner.warmUp(stored(input.slice(0, cut)));
  const got = input.slice(cut).map((c) => owner.onCandle(c));
  assert.deepEqual(got, expected);
  // The compared rows hold ridge forecasts of both series, and the revisions recomputed them.
  const ridge = got.flatMap((o) => o.predictions).filter((p) => p.prob_up !== null);
  assert.deepEqual([...new Set(ridge.map((p) => p.venue))].sort(), ["composite", "kraken"]);
});

Deno.test("analytics: another venue's revision recomputes a venue's forecasts with a higher version", () => {
  const input = venueSteps(80);
  const logic = createCandleAnalytics(twoVenues);
  for (const c of input) logic.onCandle(c);
  const old = input.find((c) =>
    c.venue === "coinbase" && c.symbol === "BTC-USD" && c.window_start === T0 + 78 * MIN
  )!;
  const out = logic.onCandle({ ...old, close: old.close * 1.01, version: 2 });
  // kraken's forecasts after windows 78 and 79; coinbase itself is not forecast.
  assert.deepEqual(
    out.predictions.map((p) => [p.venue, p.window_start, p.model]),
    [78, 79].flatMap((i) => ["ewma", "garch", "ridge"].map((m) => ["kraken", T0 + i * MIN, m])),
  );
  // Each of the window's 60 kraken candles counts its own version and coinbase's: 120, + 1.
  assert.ok(out.predictions.every((p) => p.version === 121));
  assert.deepEqual(out.rows, [], "indicators run on kraken's own candles only");
});

Deno.test("analytics: a venue's spread makes ridge forecast otherwise than without the other venue", () => {
  const input = venueSteps(80);
  const both = createCandleAnalytics(twoVenues);
  const krakenOnly = createCandleAnalytics(twoVenues);
  const last = (rows: PredictionRow[]) => rows.filter((p) => p.model === "ridge").at(-1)!;
  const a = input.flatMap((c) => both.onCandle(c).predictions);
  const b = input.filter((c) => c.venue !== "coinbase")
    .map((c) => c.venue === "composite" ? { ...c, constituents: ["kraken"] } : c)
    .flatMap((c) => krakenOnly.onCandle(c).predictions);
  const kraken = (rows: PredictionRow[]) => rows.filter((p) => p.venue === "kraken");
  assert.notEqual(last(kraken(a)).predicted_return, last(kraken(b)).predicted_return);
  assert.equal(last(kraken(b)).version, 60, "alone, kraken's versions are its own");
  assert.equal(last(kraken(a)).version, 120);
});
