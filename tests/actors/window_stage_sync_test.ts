/**
 * An offset commit's `sync` barrier through a Kafka partition's window stage: it completes once
 * the stores have everything handed on before it, fails if they cannot, and never holds the
 * partition's next batches meanwhile.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type WindowDownstream, windowStageProps } from "../../actors/windows/window_stage.ts";
import { WindowWorkerClient } from "../../actors/windows/window_worker_client.ts";
import { WorkerWindowRunner } from "../../actors/windows/worker_window_runner.ts";
import { packRecords } from "../../src/connectors/kafka/packed_records.ts";
import { encodeTick } from "../../src/connectors/kafka/tick_codec.ts";
import { parseIntervals } from "../../src/market/interval.ts";
import { createActorSystem } from "../../src/runtime/system.ts";
import { createRegistry } from "../../src/telemetry/metrics.ts";
import { pollUntil } from "../helpers/services.ts";

const T0 = 1_700_000_000_000;

function batch(first: number, handedOn: number[]) {
  const records = [0, 1, 2].map((i) =>
    encodeTick({
      source: "s",
      symbol: "BTC-USD",
      price: 100 + i,
      size: 1,
      ts: T0 + (first + i) * 1000,
      id: String(first + i),
    })
  );
  return {
    kind: "records" as const,
    records: packRecords(
      records.map((r) => Buffer.from(r.value as string)),
      records.map((r) => r.headers.source),
    ),
    rejected: () => {},
    processed: () => void handedOn.push(first),
  };
}

Deno.test("window stage: a sync barrier waits for the stores without holding later batches", async () => {
  const system = createActorSystem({ registry: createRegistry() });
  const worker = new WindowWorkerClient({
    intervals: parseIntervals("1m"),
    allowedLatenessMs: 0,
    lateUpdateWindowMs: 0,
    staleAfterMs: 60_000,
  });
  // The stores' next write: released by the test.
  let write = Promise.withResolvers<void>();
  const down: WindowDownstream = {
    candles: () => {},
    ticks: () => {},
    deadLetters: () => {},
    alerts: () => {},
    latest: () => {},
    barrier: (kind) => kind === "sync" ? write.promise : Promise.resolve(),
  };
  const ref = system.spawn(windowStageProps(
    { partition: 0, idleTimeoutMs: 0, checkStale: false, capacity: 8, batchSize: 8 },
    {
      registry: createRegistry(),
      runner: () => new WorkerWindowRunner(worker, 0, 1),
      downstream: down,
    },
  ));
  try {
    const handedOn: number[] = [];
    let synced = 0;
    const failures: unknown[] = [];
    ref.tell(batch(0, handedOn));
    ref.tell({ kind: "sync", done: () => synced++, fail: (e: unknown) => failures.push(e) });
    ref.tell(batch(3, handedOn));
    // The first batch waits for the worker thread to start: seconds on a loaded machine.
    await pollUntil("both batches to be handed on", () => handedOn.length === 2, 30_000, 1);
    assert.equal(synced, 0, "the barrier waits for the stores' write");
    write.resolve();
    await pollUntil("the barrier to pass", () => synced === 1, 5000, 1);

    write = Promise.withResolvers<void>();
    ref.tell({ kind: "sync", done: () => synced++, fail: (e: unknown) => failures.push(e) });
    write.reject(new Error("sink stopped"));
    await pollUntil(
      "the failure to reach the barrier's sender",
      () => failures.length === 1,
      5000,
      1,
    );
    assert.equal(synced, 1);
    assert.match(String(failures[0]), /sink stopped/);
  } finally {
    await system.shutdown();
    worker.terminate();
  }
});
