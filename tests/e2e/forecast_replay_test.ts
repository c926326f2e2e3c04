import assert from "node:assert/strict";
import type { Candle } from "../../src/market/candle.ts";
import { ForecastEngine } from "../../src/market/forecast/forecast_engine.ts";
import { type WindowCandle, windowCandle } from "../../src/market/forecast/window_candle.ts";
import { expectedCandles, generateReplay, INTERVAL_MS } from "../helpers/replay_fixture.ts";
import { dumpResults, sqliteRows } from "../helpers/sqlite_dump.ts";
import { replayIntoSqlite } from "../helpers/test_pipeline.ts";

// ~3.3 hours of trades: enough 1m candles for GARCH fits (129-interval samples hold ≥ 100
// returns), ridge fits and anomaly references; 5m and 1h candles stay in their warm-up paths.
const fixture = generateReplay({
  seed: 1818,
  ticks: 24_000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD"],
  start: Date.UTC(2026, 10, 2, 0, 0, 0),
  gapMs: 500,
  venues: ["coinbase", "kraken"],
});
const FORECAST = {
  window: 150,
  refitEvery: 20,
  anomalyWindow: 100,
};
// The composite and one venue: the two definitions of the cross-source spread.
const VENUES = ["composite", "kraken"];
const FORECAST_ARGS = [
  `--analytics-venue=${VENUES.join(",")}`,
  "--forecast-models=ewma,garch,ridge",
  "--learned-anomaly",
  `--forecast-window=${FORECAST.window}`,
  `--forecast-refit-every=${FORECAST.refitEvery}`,
  `--learned-anomaly-window=${FORECAST.anomalyWindow}`,
];

const runReplay = (dir: string, db: string, extra: string[] = []) =>
  replayIntoSqlite(dir, db, fixture.lines, ["--partitions=3", ...FORECAST_ARGS, ...extra]);

/**
 * What the engine sees of a series' candle, written here from the documented definition
 * (docs/forecasts.md, "Cross-source spread") rather than taken from the product: the composite's
 * spread is ln(close / mean close of its constituents), a venue's ln(close / mean close of the
 * other venues' candles of the window) with the version raised by theirs. Two venues: a mean of
 * two is (a + b) / 2, exactly rounded as the product's mean is.
 */
function withSpread(c: Candle, venueCandles: readonly Candle[]): WindowCandle {
  const own = windowCandle(c);
  const mean = (xs: number[]) => {
    assert.ok(xs.length <= 2, "the fixture has two venues");
    return xs.length === 1 ? xs[0] : (xs[0] + xs[1]) / 2;
  };
  if (c.venue === "composite") {
    const members = c.constituents ?? [];
    if (members.length < 2) return own;
    const closes = members.map((v) => venueCandles.find((o) => o.venue === v)!.close);
    return { ...own, cross_spread: Math.log(c.close / mean(closes)) };
  }
  const others = venueCandles.filter((o) => o.venue !== c.venue);
  if (others.length === 0) return own;
  const version = others.reduce((sum, o) => sum + o.version, c.version);
  return { ...own, version, cross_spread: Math.log(c.close / mean(others.map((o) => o.close))) };
}

/**
 * The stored rows an uninterrupted engine gives over the reference model's final candles of the
 * forecast venues (computed from the ticks by the test helpers, not by the pipeline), with the
 * cross-source spread from the reference venue candles (`spread` false: without it), one series
 * at a time in window order: the last forecast per (series, target window, model).
 */
function expectedPredictions(spread = true): Record<string, unknown>[] {
  const candles = expectedCandles(fixture.valid, {
    partitions: 3,
    intervals: ["1m", "5m", "1h"],
    latenessMs: 2000,
    lateUpdateMs: 60_000,
  });
  const venueCandles = new Map<string, Candle[]>();
  for (const c of candles) {
    if (c.venue === "composite") continue;
    const key = `${c.symbol}|${c.interval}|${c.window_start}`;
    venueCandles.set(key, [...(venueCandles.get(key) ?? []), c]);
  }
  const series = new Map<string, Candle[]>();
  for (const c of candles.filter((c) => VENUES.includes(c.venue))) {
    const key = `${c.venue}|${c.symbol}|${c.interval}`;
    series.set(key, [...(series.get(key) ?? []), c]);
  }
  const engine = new ForecastEngine(FORECAST);
  const rows = new Map<string, Record<string, unknown>>();
  for (const [key, list] of series) {
    list.sort((a, b) => a.window_start - b.window_start);
    for (const c of list) {
      const others = venueCandles.get(`${c.symbol}|${c.interval}|${c.window_start}`) ?? [];
      const seen = spread ? withSpread(c, others) : c;
      for (const u of engine.onCandle(key, INTERVAL_MS[c.interval], seen)) {
        for (const p of u.predictions) {
          rows.set(`${key}|${p.targetWindowStart}|${p.model}`, {
            venue: c.venue,
            symbol: c.symbol,
            interval: c.interval,
            target_window_start: p.targetWindowStart,
            model: p.model,
            window_start: u.windowStart,
            predicted_return: p.predictedReturn,
            predicted_vol: p.predictedVol,
            prob_up: p.probUp,
            fallback: p.fallback,
            version: p.version,
          });
        }
      }
    }
  }
  const order = (r: Record<string, unknown>) =>
    [r.venue, r.symbol, r.interval, String(r.target_window_start).padStart(15, "0"), r.model]
      .join("|");
  return [...rows.values()].sort((a, b) => order(a) < order(b) ? -1 : 1);
}

Deno.test("forecasts: a replay's stored predictions equal the engine over the reference candles, cross-source spread included", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await runReplay(dir, `${dir}/a.db`);
    const got = sqliteRows(
      `${dir}/a.db`,
      `SELECT * FROM predictions ORDER BY venue, symbol, "interval", target_window_start, model`,
    );
    const expected = expectedPredictions();
    assert.equal(got.length, expected.length);
    for (let i = 0; i < expected.length; i++) assert.deepEqual(got[i], expected[i], `row ${i}`);
    // The spread took part: without it ridge forecasts differ, for both venues' series; the
    // volatility models do not read it, and the composite's versions are its own.
    const without = expectedPredictions(false);
    const differs = (venue: string) =>
      expected.some((r, i) =>
        r.venue === venue && r.model === "ridge" && r.predicted_return !== null &&
        r.predicted_return !== without[i].predicted_return
      );
    assert.ok(differs("composite"), "the composite's ridge forecasts use the spread");
    assert.ok(differs("kraken"), "kraken's ridge forecasts use the spread");
    const volatility = (rows: Record<string, unknown>[]) =>
      rows.filter((r) => r.venue === "composite" && r.model !== "ridge");
    assert.deepEqual(volatility(expected), volatility(without));
    // Every path ran: GARCH fitted and fell back, ridge predicted, versions rose with revisions.
    const garch = got.filter((r) => r.model === "garch");
    assert.ok(garch.some((r) => r.fallback === null), "GARCH fits");
    assert.ok(garch.some((r) => r.fallback === "warmup"), "GARCH before a fit sample");
    assert.ok(got.some((r) => r.model === "ridge" && r.prob_up !== null), "ridge forecasts");
    const candles = sqliteRows(
      `${dir}/a.db`,
      "SELECT count(*) AS n FROM candles WHERE version > 1",
    );
    assert.ok(Number(candles[0].n) > 0, "revised candles");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("forecasts: the same predictions and learned_anomaly alerts whatever the batching, on the forecast worker or not", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await runReplay(dir, `${dir}/a.db`);
    await runReplay(dir, `${dir}/b.db`, ["--bus-capacity=16"]);
    // In the analytics stages' thread, as before the forecast worker.
    await runReplay(dir, `${dir}/c.db`, ["--bus-capacity=64", "--forecast-thread=false"]);
    const a = dumpResults(`${dir}/a.db`, { deadLetters: "by-reason" });
    const b = dumpResults(`${dir}/b.db`, { deadLetters: "by-reason" });
    const c = dumpResults(`${dir}/c.db`, { deadLetters: "by-reason" });
    assert.ok(a.predictions.length > 0);
    const learned = (a.alerts as { rule: string }[]).filter((r) => r.rule === "learned_anomaly");
    assert.ok(learned.length > 0, "the fixture's jumps raise learned_anomaly alerts");
    assert.deepEqual(b.predictions, a.predictions);
    assert.deepEqual(b.alerts, a.alerts);
    assert.deepEqual(c.predictions, a.predictions);
    assert.deepEqual(c.alerts, a.alerts);
    assert.deepEqual(c.candles, a.candles);
    assert.deepEqual(c.indicators, a.indicators);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
