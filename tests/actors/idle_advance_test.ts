/**
 * On a quiet live partition the aggregators move event time on at processing-time speed once the
 * partition has been idle for the idle timeout, so the last windows still close: both the
 * in-thread window aggregator and the Kafka record aggregator (whose windows live on the worker).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  type AggregatorDownstream,
  windowAggregatorProps,
} from "../../actors/aggregators/window_aggregator.ts";
import { recordAggregatorProps } from "../../actors/aggregators/record_aggregator.ts";
import { WindowWorkerClient } from "../../actors/aggregators/window_worker_client.ts";
import { createTickRules } from "../../actors/aggregators/analytics_logic.ts";
import type { Clock } from "../../src/clock.ts";
import { packRecords } from "../../src/connectors/kafka/packed_records.ts";
import { encodeTick } from "../../src/connectors/kafka/tick_codec.ts";
import type { Candle } from "../../src/market/candle.ts";
import { parseIntervals } from "../../src/market/interval.ts";
import type { Tick } from "../../src/market/tick.ts";
import { createActorSystem } from "../../src/runtime/system.ts";
import { createRegistry } from "../../src/telemetry/metrics.ts";

const T0 = 1_700_000_020_000; // 40 s into a minute: the window ends at T0 + 20 s
const IDLE_MS = 2000;

/** Processing time that moves only when told; timers fire as it passes them. */
function manualClock(startMs: number) {
  let now = startMs;
  const timers = new Set<{ at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    monotonic: () => now - startMs,
    setTimeout: (fn, ms) => {
      const t = { at: now + ms, fn };
      timers.add(t);
      return t;
    },
    clearTimeout: (t) => void timers.delete(t as { at: number; fn: () => void }),
    sleep: (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms)),
  };
  const advance = async (ms: number) => {
    const end = now + ms;
    while (true) {
      const due = [...timers].filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers.delete(due);
      now = due.at;
      due.fn();
      // Let the actor run its turn (and a worker answer) before time moves on.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    now = end;
  };
  return { clock, advance };
}

const ticks: Tick[] = [0, 5_000, 10_000].map((dt, i) => ({
  source: "live",
  symbol: "BTC-USD",
  price: 100 + i,
  size: 1,
  ts: T0 + dt,
  id: String(i),
}));

function downstream(candles: Candle[]): AggregatorDownstream {
  return {
    candles: (rows) => void candles.push(...rows),
    ticks: () => {},
    deadLetters: () => {},
    alerts: () => {},
    flush: () => Promise.resolve(),
  };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("window aggregator: a quiet partition closes its open window after the idle timeout", async () => {
  const { clock, advance } = manualClock(T0 + 10_000);
  const system = createActorSystem({ registry: createRegistry(), clock });
  const candles: Candle[] = [];
  const ref = system.spawn(windowAggregatorProps({
    partition: 0,
    intervals: parseIntervals("1m"),
    allowedLatenessMs: 0,
    lateUpdateWindowMs: 0,
    idleTimeoutMs: IDLE_MS,
    checkStale: true,
    capacity: 16,
  }, {
    registry: createRegistry(),
    now: clock.now,
    tickRules: () => createTickRules(),
    downstream: downstream(candles),
  }));
  try {
    for (const t of ticks) await ref.tell(t);
    await advance(IDLE_MS - 500);
    assert.equal(candles.length, 0, "not idle long enough yet");
    // The window ends 20 s after the last tick's event time: quiet for that long, it closes.
    await advance(25_000);
    await until("the window to close", () => candles.length === 1);
    assert.deepEqual([candles[0].open, candles[0].close, candles[0].trades], [100, 102, 3]);
  } finally {
    await system.shutdown();
  }
});

Deno.test("record aggregator: a quiet Kafka partition closes its open window after the idle timeout", async () => {
  const { clock, advance } = manualClock(T0 + 10_000);
  const system = createActorSystem({ registry: createRegistry(), clock });
  const worker = new WindowWorkerClient({
    intervals: parseIntervals("1m"),
    allowedLatenessMs: 0,
    lateUpdateWindowMs: 0,
    staleAfterMs: 60_000,
  });
  const candles: Candle[] = [];
  const ref = system.spawn(recordAggregatorProps(
    { partition: 0, idleTimeoutMs: IDLE_MS, checkStale: true, capacity: 4 },
    { registry: createRegistry(), now: clock.now, worker, downstream: downstream(candles) },
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
    await until("the batch to be handed on", () => handedOn);
    await advance(IDLE_MS - 500);
    assert.equal(candles.length, 0, "not idle long enough yet");
    await advance(25_000);
    await until("the window to close", () => candles.length === 1);
    assert.deepEqual([candles[0].open, candles[0].close, candles[0].trades], [100, 102, 3]);
  } finally {
    await system.shutdown();
    worker.terminate();
  }
});
