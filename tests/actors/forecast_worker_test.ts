/**
 * The forecast worker: a partition's forecasts on the worker thread give exactly what they give
 * in the stage's thread — rows, alerts in their order, live scores and GARCH fallbacks — whatever
 * the batching, through a warm-up, beside other partitions on the same worker; and a worker that
 * fails fails its requests, never leaves them waiting.
 * @module
 */
import assert from "node:assert/strict";
import {
  type AnalyticsSettings,
  createCandleAnalytics,
  createCandleAnalyticsOn,
} from "../../actors/analytics/analytics_logic.ts";
import type { CandleOutput } from "../../actors/analytics/analytics_stage.ts";
import {
  ForecastWorkerClient,
  ForecastWorkerSlot,
} from "../../actors/analytics/forecast_worker_client.ts";
import { candleAnalyticsProps } from "../../actors/analytics/analytics_stage.ts";
import { barrier } from "../../actors/barrier.ts";
import type { PredictionRow } from "../../src/market/forecast/prediction_row.ts";
import { createActorSystem } from "../../src/runtime/system.ts";
import { createRegistry } from "../../src/telemetry/metrics.ts";
import type { ForecastScoreSink } from "../../actors/analytics/forecast_metrics.ts";
import type { Candle } from "../../src/market/candle.ts";
import {
  candles,
  FORECAST_CONFIG,
  MIN,
  stored,
  T0,
  venueSteps,
} from "../helpers/forecast_candles.ts";
import { testConfig } from "../helpers/test_pipeline.ts";
import { runUnderLauncherPermissions } from "../helpers/launcher_probe.ts";

/** A score sink that keeps what it is told, in order. */
function recordingSink(): ForecastScoreSink & { events: unknown[] } {
  const events: unknown[] = [];
  return {
    events,
    scored: (interval, s) => events.push(["scored", interval, s]),
    fallback: (reason) => events.push(["fallback", reason]),
  };
}

function settingsWith(sink: ForecastScoreSink, venues = ["composite"]): AnalyticsSettings {
  return { venues, forecasts: FORECAST_CONFIG, forecastScores: sink };
}

/** One output for a list of outputs, as the stage hands them on. */
function joined(outs: readonly CandleOutput[]): CandleOutput {
  return {
    rows: outs.flatMap((o) => o.rows),
    alerts: outs.flatMap((o) => o.alerts),
    predictions: outs.flatMap((o) => o.predictions),
  };
}

// Two planted jumps (learned_anomaly alerts) and, with two venues under each composite, the
// cross-source spreads and revisions (candle_forecasts_test.ts).
const STREAMS: [string, Candle[], string[]][] = [
  ["composite", candles(160, 100, 140), ["composite"]],
  [
    "two venues",
    venueSteps(120, [{ at: 90, venue: "coinbase" }, { at: 100, venue: "kraken" }]),
    ["composite", "kraken"],
  ],
];

Deno.test("forecast worker: the in-thread output, whatever the batching, partitions side by side", async () => {
  const worker = new ForecastWorkerClient();
  try {
    let partition = 0;
    for (const [name, input, venues] of STREAMS) {
      const sink = recordingSink();
      const local = createCandleAnalytics(settingsWith(sink, venues));
      const expected = joined(input.map((c) => local.onCandle(c)));
      assert.ok(expected.predictions.length > 0 && expected.rows.length > 0, name);
      if (name === "composite") {
        assert.ok(expected.alerts.some((a) => a.rule === "learned_anomaly"), "jumps planted");
        assert.ok(sink.events.some((e) => (e as string[])[0] === "scored"), "scores reported");
      }
      // Three partitions of one worker, batches of 1, 7 and 64 candles, asked together.
      const runs = [1, 7, 64].map(async (size) => {
        const remote = recordingSink();
        const logic = createCandleAnalyticsOn(worker, partition++, settingsWith(remote, venues));
        const asked: (CandleOutput | Promise<CandleOutput>)[] = [];
        for (let i = 0; i < input.length; i += size) {
          asked.push(logic.onCandles(input.slice(i, i + size)));
        }
        const got = joined(await Promise.all(asked));
        logic.close();
        return { size, got, events: remote.events };
      });
      for (const { size, got, events } of await Promise.all(runs)) {
        assert.deepEqual(got, expected, `${name}, batches of ${size}`);
        // The same scores in the same order, and the same fallbacks: a batch's come back
        // together, scores first (the order between the two kinds changes no metric).
        for (const kind of ["scored", "fallback"]) {
          const of = (list: unknown[]) => list.filter((e) => (e as string[])[0] === kind);
          assert.deepEqual(of(events), of(sink.events), `${name}, batches of ${size}: ${kind}`);
        }
      }
    }
  } finally {
    worker.terminate();
  }
});

Deno.test("forecast worker: a warmed-up owner there emits what an uninterrupted run emits", async () => {
  const input = candles(160, 140, 142);
  const cut = 2 * 141; // the first jump's cooldown must carry over
  const whole = createCandleAnalytics(settingsWith(recordingSink()));
  const expected = joined(input.map((c) => whole.onCandle(c)).slice(cut));
  assert.ok(expected.predictions.length > 0);
  const worker = new ForecastWorkerClient();
  try {
    const owner = createCandleAnalyticsOn(worker, 3, settingsWith(recordingSink()));
    await owner.warmUp(stored(input.slice(0, cut)));
    assert.deepEqual(await owner.onCandles(input.slice(cut)), expected);
    // The redelivered last candle changes nothing.
    assert.deepEqual((await owner.onCandles(input.slice(-1))).predictions, []);
  } finally {
    worker.terminate();
  }
});

Deno.test("forecast worker: a closed partition's requests fail alone; a stopped worker fails them all", async () => {
  const worker = new ForecastWorkerClient();
  const closed = createCandleAnalyticsOn(worker, 0, settingsWith(recordingSink()));
  const open = createCandleAnalyticsOn(worker, 1, settingsWith(recordingSink()));
  closed.close();
  const input = candles(3);
  await assert.rejects(Promise.resolve(closed.onCandles(input)), /partition 0 is not open/);
  const out = await open.onCandles(input);
  assert.equal(out.predictions.length, input.length * 3);
  const pending = Promise.resolve(open.onCandles(candles(4).slice(-2)));
  worker.terminate();
  await assert.rejects(pending, /forecast worker terminated/);
  await assert.rejects(Promise.resolve(open.onCandles(input)), /forecast worker terminated/);
});

Deno.test("forecast worker: the rows come back for the next windows, one per model", async () => {
  const worker = new ForecastWorkerClient();
  try {
    const logic = createCandleAnalyticsOn(worker, 0, settingsWith(recordingSink()));
    const input = candles(70);
    const out = await logic.onCandles(input);
    const last = out.predictions.slice(-3);
    assert.deepEqual(last.map((r) => [r.symbol, r.model, r.target_window_start]), [
      ["ETH-USD", "ewma", T0 + 70 * MIN],
      ["ETH-USD", "garch", T0 + 70 * MIN],
      ["ETH-USD", "ridge", T0 + 70 * MIN],
    ]);
  } finally {
    worker.terminate();
  }
});

Deno.test("forecast worker: loads under the permissions the launcher gives the embedded pipeline", async () => {
  const config = testConfig(["--forecast-models=ewma", "--http=off"]);
  const { code, text } = await runUnderLauncherPermissions(
    config,
    new URL("../helpers/forecast_worker_probe.ts", import.meta.url),
  );
  assert.equal(code, 0, text);
  assert.match(text, /predictions 3/);
});

Deno.test("forecast worker: a dead worker is replaced; the stage its supervisor restarts forecasts on the new one", async () => {
  const slot = new ForecastWorkerSlot();
  const registry = createRegistry();
  const system = createActorSystem({ registry });
  const predictions: PredictionRow[] = [];
  const none = () => {};
  try {
    const ref = system.spawn(candleAnalyticsProps({ partition: 0, capacity: 8 }, {
      registry,
      analytics: () => createCandleAnalyticsOn(slot.get(), 0, settingsWith(recordingSink())),
      downstream: {
        candles: none,
        indicators: none,
        alerts: none,
        predictions: (rows) => void predictions.push(...rows),
        barrier: () => Promise.resolve(),
      },
    }));
    const input = candles(40);
    await ref.tell({ kind: "candles", rows: input.slice(0, 20) });
    await barrier(ref, "sync");
    assert.equal(predictions.length, 20 * 3);
    const first = slot.get();
    first.terminate(); // as if it had died: every request to it fails from now on
    await ref.tell({ kind: "candles", rows: input.slice(20) });
    await barrier(ref, "sync");
    // The failed batch was retried on a fresh stage, which opened its partition on a new worker.
    assert.equal(predictions.length, input.length * 3);
    assert.notEqual(slot.get(), first);
    assert.equal(slot.get().failed, false);
  } finally {
    await system.shutdown();
    slot.terminate();
  }
  assert.throws(() => slot.get(), /the pipeline has stopped/);
});
