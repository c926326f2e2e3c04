import assert from "node:assert/strict";
import type { Candle } from "../../src/market/candle.ts";
import { ForecastEngine } from "../../src/market/forecast/forecast_engine.ts";
import { expectedCandles, generateReplay, INTERVAL_MS } from "../helpers/replay_fixture.ts";
import { dumpResults, sqliteRows } from "../helpers/sqlite_dump.ts";
import { assertCleanStop, runToEnd, writeReplayFile } from "../helpers/test_pipeline.ts";

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
const FORECAST_ARGS = [
  "--forecast-models=ewma,garch,ridge",
  "--learned-anomaly",
  `--forecast-window=${FORECAST.window}`,
  `--forecast-refit-every=${FORECAST.refitEvery}`,
  `--learned-anomaly-window=${FORECAST.anomalyWindow}`,
];

async function runReplay(dir: string, db: string, extra: string[] = []): Promise<void> {
  const file = await writeReplayFile(`${dir}/ticks.ndjson`, fixture.lines);
  await assertCleanStop(
    await runToEnd([
      "--source=replay",
      `--replay-file=${file}`,
      `--sqlite=${db}`,
      "--http=off",
      "--partitions=3",
      ...FORECAST_ARGS,
      ...extra,
    ]),
  );
}

/**
 * The stored rows an uninterrupted engine gives over the reference model's final composite
 * candles (computed from the ticks by the test helpers, not by the pipeline), one series at a
 * time in window order: the last forecast per (series, target window, model).
 */
function expectedPredictions(): Record<string, unknown>[] {
  const candles = expectedCandles(fixture.valid, {
    partitions: 3,
    intervals: ["1m", "5m", "1h"],
    latenessMs: 2000,
    lateUpdateMs: 60_000,
  }).filter((c) => c.venue === "composite");
  const series = new Map<string, Candle[]>();
  for (const c of candles) {
    const key = `${c.symbol}|${c.interval}`;
    series.set(key, [...(series.get(key) ?? []), c]);
  }
  const engine = new ForecastEngine(FORECAST);
  const rows = new Map<string, Record<string, unknown>>();
  for (const [key, list] of series) {
    list.sort((a, b) => a.window_start - b.window_start);
    for (const c of list) {
      for (const u of engine.onCandle(key, INTERVAL_MS[c.interval], c)) {
        for (const p of u.predictions) {
          rows.set(`${key}|${p.targetWindowStart}|${p.model}`, {
            venue: "composite",
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
    [r.symbol, r.interval, String(r.target_window_start).padStart(15, "0"), r.model].join("|");
  return [...rows.values()].sort((a, b) => order(a) < order(b) ? -1 : 1);
}

Deno.test("forecasts: a replay's stored predictions equal the engine over the reference candles", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await runReplay(dir, `${dir}/a.db`);
    const got = sqliteRows(
      `${dir}/a.db`,
      `SELECT * FROM predictions ORDER BY symbol, "interval", target_window_start, model`,
    );
    const expected = expectedPredictions();
    assert.equal(got.length, expected.length);
    for (let i = 0; i < expected.length; i++) assert.deepEqual(got[i], expected[i], `row ${i}`);
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

Deno.test("forecasts: the same predictions and learned_anomaly alerts whatever the batching", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await runReplay(dir, `${dir}/a.db`);
    await runReplay(dir, `${dir}/b.db`, ["--bus-capacity=16"]);
    const a = dumpResults(`${dir}/a.db`, { deadLetters: "by-reason" });
    const b = dumpResults(`${dir}/b.db`, { deadLetters: "by-reason" });
    assert.ok(a.predictions.length > 0);
    const learned = (a.alerts as { rule: string }[]).filter((r) => r.rule === "learned_anomaly");
    assert.ok(learned.length > 0, "the fixture's jumps raise learned_anomaly alerts");
    assert.deepEqual(b.predictions, a.predictions);
    assert.deepEqual(b.alerts, a.alerts);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
