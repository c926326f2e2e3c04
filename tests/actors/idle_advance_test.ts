/**
 * On a quiet live partition the window stage moves event time on at processing-time speed once
 * the partition has been idle for the idle timeout, so the last windows still close: with its
 * window work in its own thread (memory bus) and on the window worker (Kafka records).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type WindowDownstream, windowStageProps } from "../../actors/windows/window_stage.ts";
import { LocalWindowRunner } from "../../actors/windows/window_runner.ts";
import { WindowWorkerClient } from "../../actors/windows/window_worker_client.ts";
import { WorkerWindowRunner } from "../../actors/windows/worker_window_runner.ts";
import { createTickRules } from "../../actors/analytics/analytics_logic.ts";
import { packRecords } from "../../src/connectors/kafka/packed_records.ts";
import { encodeTick } from "../../src/connectors/kafka/tick_codec.ts";
import type { Candle } from "../../src/market/candle.ts";
import { parseIntervals } from "../../src/market/interval.ts";
import type { Tick } from "../../src/market/tick.ts";
import { createActorSystem } from "../../src/runtime/system.ts";
import { createRegistry } from "../../src/telemetry/metrics.ts";
import { FakeClock } from "../runtime/_helpers.ts";
import { pollUntil } from "../helpers/services.ts";

const T0 = 1_700_000_020_000; // 40 s into a minute: the window ends at T0 + 20 s
const IDLE_MS = 2000;
/** How often the aggregators check for idleness with that timeout (a quarter of it). */
const IDLE_TIMER_MS = 500;

/** A clock at `T0 + 10 s` (after the ticks' event times) that moves only when told. */
function clockAfterTicks(): FakeClock {
  const clock = new FakeClock();
  clock.tick(T0 + 10_000);
  return clock;
}

/**
 * Moves processing time on by `ms`, one idle-timer period at a time, letting the aggregator run
 * each idle check (and re-arm its timer) before time moves again.
 */
async function quietFor(clock: FakeClock, ms: number): Promise<void> {
  for (let passed = 0; passed < ms; passed += IDLE_TIMER_MS) {
    clock.tick(IDLE_TIMER_MS);
    await pollUntil("the idle timer to be re-armed", () => clock.pending === 1, 5000, 1);
  }
}

/**
 * After the ticks: nothing closes before the idle timeout; then, quiet for longer than the 20 s
 * between the last tick's event time and the window's end, the window closes with all three ticks.
 */
async function closesOnlyWhenIdle(clock: FakeClock, candles: Candle[]): Promise<void> {
  await quietFor(clock, IDLE_MS - IDLE_TIMER_MS);
  assert.equal(candles.length, 0, "not idle long enough yet");
  await quietFor(clock, 25_000);
  // The venue's candle, then the composite of that one venue.
  await pollUntil("the window to close", () => candles.length === 2, 5000, 1);
  assert.deepEqual(
    candles.map((c) => [c.venue, c.open, c.close, c.trades]),
    [["live", 100, 102, 3], ["composite", 100, 102, 3]],
  );
}

const ticks: Tick[] = [0, 5_000, 10_000].map((dt, i) => ({
  source: "live",
  symbol: "BTC-USD",
  price: 100 + i,
  size: 1,
  ts: T0 + dt,
  id: String(i),
}));

function downstream(candles: Candle[]): WindowDownstream {
  return {
    candles: (rows) => void candles.push(...rows),
    ticks: () => {},
    deadLetters: () => {},
    alerts: () => {},
    latest: () => {},
    barrier: () => Promise.resolve(),
  };
}

Deno.test("window stage, in-thread: a quiet partition closes its open window after the idle timeout", async () => {
  const clock = clockAfterTicks();
  const system = createActorSystem({ registry: createRegistry(), clock });
  const candles: Candle[] = [];
  const settings = { intervals: parseIntervals("1m"), allowedLatenessMs: 0, lateUpdateWindowMs: 0 };
  const ref = system.spawn(windowStageProps({
    partition: 0,
    idleTimeoutMs: IDLE_MS,
    checkStale: true,
    capacity: 16,
    batchSize: 1024,
  }, {
    registry: createRegistry(),
    now: () => clock.now(),
    runner: (stats) => new LocalWindowRunner(settings, stats, createTickRules()),
    downstream: downstream(candles),
  }));
  try {
    for (const t of ticks) await ref.tell(t);
    await closesOnlyWhenIdle(clock, candles);
  } finally {
    await system.shutdown();
  }
});

Deno.test("window stage, on the worker: a quiet Kafka partition closes its open window after the idle timeout", async () => {
  const clock = clockAfterTicks();
  const system = createActorSystem({ registry: createRegistry(), clock });
  const worker = new WindowWorkerClient({
    intervals: parseIntervals("1m"),
    allowedLatenessMs: 0,
    lateUpdateWindowMs: 0,
    staleAfterMs: 60_000,
  });
  const candles: Candle[] = [];
  const ref = system.spawn(windowStageProps(
    { partition: 0, idleTimeoutMs: IDLE_MS, checkStale: true, capacity: 4, batchSize: 8 },
    {
      registry: createRegistry(),
      now: () => clock.now(),
      runner: () => new WorkerWindowRunner(worker, 0, 1),
      downstream: downstream(candles),
    },
  ));
  try {
    const records = ticks.map(encodeTick);
    let handedOn = false;
    await ref.tell({
      kind: "records",
      records: packRecords(
        records.map((r) => Buffer.from(r.value as string)),
        records.map((r) => r.headers.source),
      ),
      rejected: () => {},
      processed: () => void (handedOn = true),
    });
    await pollUntil("the batch to be handed on", () => handedOn, 5000, 1);
    await closesOnlyWhenIdle(clock, candles);
  } finally {
    await system.shutdown();
    worker.terminate();
  }
});
