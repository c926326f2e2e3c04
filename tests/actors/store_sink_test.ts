import assert from "node:assert/strict";
import {
  BLOCKING_STORE_DELAY_MS,
  MAX_ISOLATION_WRITES,
  storeSinkProps,
  URGENT_GAP_PER_WRITE,
  URGENT_MAX_GAP_MS,
  URGENT_MIN_GAP_MS,
} from "../../actors/sinks/store_sink.ts";
import type { SinkMessage } from "../../actors/sinks/sink_message.ts";
import type { Store } from "../../src/connectors/store.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { Tick } from "../../src/market/tick.ts";
import { createActorSystem } from "../../src/runtime/system.ts";
import { createRegistry } from "../../src/telemetry/metrics.ts";
import { FakeClock } from "../runtime/_helpers.ts";
import { pollUntil } from "../helpers/services.ts";

const tick = (id: string): Tick => ({
  source: "s",
  symbol: "BTC-USD",
  price: 1,
  size: 1,
  ts: 1,
  id,
});
const candle = { symbol: "BTC-USD", interval: "1m", window_start: 0 } as Candle;

function barrier(ref: { tell(m: SinkMessage): void | Promise<void> }) {
  return new Promise<void>((resolve, reject) =>
    void ref.tell({ kind: "flush", done: resolve, fail: reject })
  );
}

Deno.test("store sink: retries transient failures until the write succeeds, then acknowledges", async () => {
  let failures = 2;
  const written: string[] = [];
  const store: Store = {
    name: "flaky",
    migrate: () => Promise.resolve(),
    writeTicks(rows) {
      if (failures-- > 0) {
        return Promise.reject(Object.assign(new Error("connection reset"), { retriable: true }));
      }
      written.push(...rows.map((t) => t.id));
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  const system = createActorSystem({ registry: createRegistry() });
  const ref = system.spawn(storeSinkProps("sink-flaky", store, { retry: { minMs: 1, maxMs: 2 } }, {
    registry: createRegistry(),
  }));
  ref.tell({ kind: "ticks", rows: [tick("1"), tick("2")] });
  await barrier(ref);
  assert.deepEqual(written, ["1", "2"]);
  await system.shutdown();
});

Deno.test("store sink: a batch refused for good goes to onRefused and never blocks a barrier", async () => {
  const refused: unknown[] = [];
  const written: string[] = [];
  const store: Store = {
    name: "strict",
    migrate: () => Promise.resolve(),
    writeCandles: () =>
      Promise.reject(Object.assign(new Error("type mismatch"), { retriable: false })),
    writeTicks(rows) {
      written.push(...rows.map((t) => t.id));
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  const registry = createRegistry();
  const system = createActorSystem({ registry });
  const ref = system.spawn(storeSinkProps("sink-strict", store, {}, {
    registry,
    onRefused: (kind, rows) => refused.push(kind, rows.length),
  }));
  ref.tell({ kind: "candles", rows: [candle] });
  ref.tell({ kind: "ticks", rows: [tick("9")] });
  await barrier(ref);
  assert.deepEqual(refused, ["candles", 1]);
  assert.deepEqual(written, ["9"], "other kinds are still written");
  await system.shutdown();
  assert.ok((await system.terminated).ok);
});

Deno.test("store sink: a kind the store does not accept is not sent to it", async () => {
  const store: Store = {
    name: "no-ticks",
    accepts: (kind) => kind !== "ticks",
    migrate: () => Promise.resolve(),
    writeTicks: () => Promise.reject(new Error("must not be called")),
    close: () => Promise.resolve(),
  };
  const registry = createRegistry();
  const system = createActorSystem({ registry });
  const ref = system.spawn(storeSinkProps("sink-no-ticks", store, {}, { registry }));
  ref.tell({ kind: "ticks", rows: [tick("1")] });
  await barrier(ref);
  await system.shutdown();
  assert.ok((await system.terminated).ok);
});

/** A store that records each `writeTicks` call's ids, with a sink on a manual clock. */
function recordingSink(config: { batchRows?: number; maxDelayMs?: number }) {
  const writes: string[][] = [];
  const store: Store = {
    name: "recording",
    migrate: () => Promise.resolve(),
    writeTicks(rows) {
      writes.push(rows.map((t) => t.id));
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  const clock = new FakeClock();
  const registry = createRegistry();
  const system = createActorSystem({ registry, clock });
  const ref = system.spawn(storeSinkProps("sink-recording", store, config, { registry }));
  let synced = 0;
  const sync = () => ref.tell({ kind: "sync", done: () => synced++, fail: () => {} });
  return { writes, clock, system, ref, sync, synced: () => synced };
}

Deno.test("store sink: a sync barrier waits for the next regular write instead of forcing one", async () => {
  const s = recordingSink({ maxDelayMs: 200 });
  await s.sync(); // nothing buffered: passes at once, writes nothing
  await pollUntil("condition", () => s.synced() === 1, 5000, 1);
  s.ref.tell({ kind: "ticks", rows: [tick("1")] });
  s.sync();
  s.ref.tell({ kind: "ticks", rows: [tick("2")] });
  await pollUntil("condition", () => s.ref.size === 0, 5000, 1);
  assert.equal(s.synced(), 1, "the rows before the second sync are not written yet");
  assert.deepEqual(s.writes, []);
  s.clock.tick(200);
  await pollUntil("condition", () => s.synced() === 2, 5000, 1);
  assert.deepEqual(s.writes, [["1", "2"]], "one write, not cut short by the barrier");
  await s.system.shutdown();
});

Deno.test("store sink: a full batch or a flush also releases waiting sync barriers", async () => {
  const s = recordingSink({ batchRows: 2, maxDelayMs: 10_000 });
  s.ref.tell({ kind: "ticks", rows: [tick("1")] });
  s.sync();
  s.ref.tell({ kind: "ticks", rows: [tick("2")] }); // the batch is full: written now
  await pollUntil("condition", () => s.synced() === 1, 5000, 1);
  assert.deepEqual(s.writes, [["1", "2"]]);
  s.ref.tell({ kind: "ticks", rows: [tick("3")] });
  s.sync();
  await barrier(s.ref);
  await pollUntil("condition", () => s.synced() === 2, 5000, 1);
  assert.deepEqual(s.writes, [["1", "2"], ["3"]]);
  await s.system.shutdown();
});

Deno.test("store sink: a sync barrier waiting at shutdown is released by the final write", async () => {
  const s = recordingSink({ maxDelayMs: 10_000 });
  s.ref.tell({ kind: "ticks", rows: [tick("1")] });
  s.sync();
  await pollUntil("condition", () => s.ref.size === 0, 5000, 1);
  assert.equal(s.synced(), 0);
  await s.system.shutdown();
  assert.equal(s.synced(), 1);
  assert.deepEqual(s.writes, [["1"]]);
});

Deno.test("store sink: a refused batch is split until only the rows the store can never accept are refused", async () => {
  const written: string[] = [];
  const refused: string[] = [];
  const store: Store = {
    name: "picky",
    migrate: () => Promise.resolve(),
    writeTicks(rows) {
      if (rows.some((t) => t.id.startsWith("bad"))) {
        return Promise.reject(
          Object.assign(new Error("CHECK constraint failed"), { retriable: false }),
        );
      }
      written.push(...rows.map((t) => t.id));
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  const registry = createRegistry();
  const system = createActorSystem({ registry });
  const ref = system.spawn(storeSinkProps("sink-picky", store, {}, {
    registry,
    onRefused: (_kind, rows) => refused.push(...(rows as Tick[]).map((t) => t.id)),
  }));
  const ids = Array.from({ length: 100 }, (_, i) => i === 17 || i === 80 ? `bad${i}` : String(i));
  ref.tell({ kind: "ticks", rows: ids.map(tick) });
  await barrier(ref);
  assert.deepEqual(refused, ["bad17", "bad80"]);
  assert.deepEqual(written.sort(), ids.filter((id) => !id.startsWith("bad")).sort());
  await system.shutdown();
});

Deno.test("store sink: a store refusing everything is not written row by row (bounded isolation)", async () => {
  let writes = 0;
  const refused: number[] = [];
  const store: Store = {
    name: "broken",
    migrate: () => Promise.resolve(),
    writeTicks() {
      writes++;
      return Promise.reject(Object.assign(new Error("no such table: ticks"), { retriable: false }));
    },
    close: () => Promise.resolve(),
  };
  const registry = createRegistry();
  const system = createActorSystem({ registry });
  const ref = system.spawn(storeSinkProps("sink-broken", store, {}, {
    registry,
    onRefused: (_kind, rows) => refused.push(rows.length),
  }));
  ref.tell({ kind: "ticks", rows: Array.from({ length: 4000 }, (_, i) => tick(String(i))) });
  await barrier(ref);
  assert.equal(writes, MAX_ISOLATION_WRITES);
  assert.equal(refused.reduce((a, b) => a + b, 0), 4000, "every row refused, none lost");
  await system.shutdown();
});

Deno.test("store sink: once the stop runs out of time a failing store's rows are refused, not retried", async () => {
  const clock = new FakeClock();
  const giveUp = new AbortController();
  const refused: unknown[] = [];
  let attempts = 0;
  const down = Object.assign(new Error("connection refused"), { retriable: true });
  const store: Store = {
    name: "down",
    migrate: () => Promise.resolve(),
    writeTicks() {
      attempts++;
      return Promise.reject(down);
    },
    close: () => Promise.resolve(),
  };
  const registry = createRegistry();
  const system = createActorSystem({ registry, clock });
  const ref = system.spawn(storeSinkProps("sink-down", store, {}, {
    registry,
    giveUp: giveUp.signal,
    onRefused: (kind, rows, error) => refused.push(kind, rows.length, error),
  }));
  ref.tell({ kind: "ticks", rows: [tick("1"), tick("2")] });
  const flushed = barrier(ref);
  await pollUntil("a retry waiting", () => attempts === 1 && clock.pending === 1, 5000, 1);
  giveUp.abort();
  await assert.rejects(flushed, /connection refused/, "the barrier over given-up rows fails");
  assert.deepEqual(refused, ["ticks", 2, down], "refused with the store's own error");
  ref.tell({ kind: "ticks", rows: [tick("3")] });
  await assert.rejects(barrier(ref), /connection refused/);
  assert.equal(attempts, 2, "after giving up, a failing write is tried once");
  assert.deepEqual(refused.slice(3), ["ticks", 1, down]);
  await system.shutdown();
});

Deno.test("store sink: once the stop runs out of time a write that never answers is abandoned, its rows refused", async () => {
  const clock = new FakeClock();
  const giveUp = new AbortController();
  const refused: unknown[] = [];
  let calls = 0;
  const store: Store = {
    name: "black-hole",
    migrate: () => Promise.resolve(),
    writeTicks() {
      calls++;
      return new Promise(() => {}); // the connection stays open, nothing comes back
    },
    close: () => Promise.resolve(),
  };
  const registry = createRegistry();
  const system = createActorSystem({ registry, clock });
  const ref = system.spawn(storeSinkProps("sink-black-hole", store, {}, {
    registry,
    giveUp: giveUp.signal,
    giveUpWriteMs: 500,
    onRefused: (kind, rows) => refused.push(kind, rows.length),
  }));
  ref.tell({ kind: "ticks", rows: [tick("1"), tick("2")] });
  const flushed = barrier(ref);
  await pollUntil("the write in flight", () => calls === 1, 5000, 1);
  giveUp.abort();
  await pollUntil("the write's bound", () => clock.pending === 1, 5000, 1);
  clock.tick(500);
  await assert.rejects(flushed, /no answer within 500 ms/, "the barrier over given-up rows fails");
  assert.deepEqual(refused, ["ticks", 2]);
  ref.tell({ kind: "ticks", rows: [tick("3")] });
  await assert.rejects(barrier(ref), /an earlier write never finished/);
  assert.equal(calls, 1, "the store is not waited for again");
  assert.deepEqual(refused.slice(2), ["ticks", 1]);
  await system.shutdown();
});

Deno.test("store sink: natural batching writes at once when idle and gathers while a write is in flight", async () => {
  const writes: string[][] = [];
  const pending: (() => void)[] = [];
  const store: Store = {
    name: "slow",
    migrate: () => Promise.resolve(),
    writeTicks(rows) {
      writes.push(rows.map((t) => t.id));
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    close: () => Promise.resolve(),
  };
  // A manual clock that is never advanced: no timer can be what triggers a write.
  const clock = new FakeClock();
  const registry = createRegistry();
  const system = createActorSystem({ registry, clock });
  const ref = system.spawn(storeSinkProps("sink-slow", store, {}, { registry }));
  ref.tell({ kind: "ticks", rows: [tick("1")] });
  await pollUntil("the first write in flight", () => writes.length === 1, 5000, 1);
  ref.tell({ kind: "ticks", rows: [tick("2")] });
  ref.tell({ kind: "ticks", rows: [tick("3"), tick("4")] });
  assert.equal(writes.length, 1, "nothing else is written while a write is in flight");
  pending.shift()!();
  await pollUntil("the second write in flight", () => writes.length === 2, 5000, 1);
  assert.deepEqual(writes, [["1"], ["2", "3", "4"]], "what gathered meanwhile is one write");
  pending.shift()!();
  await barrier(ref);
  await system.shutdown();
});

Deno.test("store sink: a store that blocks the event loop is batched by a short timer instead", async () => {
  const writes: string[][] = [];
  const store: Store = {
    name: "blocking",
    blocksEventLoop: true,
    migrate: () => Promise.resolve(),
    writeTicks(rows) {
      writes.push(rows.map((t) => t.id));
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  const clock = new FakeClock();
  const registry = createRegistry();
  const system = createActorSystem({ registry, clock });
  const ref = system.spawn(storeSinkProps("sink-blocking", store, {}, { registry }));
  ref.tell({ kind: "ticks", rows: [tick("1")] });
  await pollUntil("the row taken", () => ref.size === 0 && clock.pending === 1, 5000, 1);
  ref.tell({ kind: "ticks", rows: [tick("2")] });
  await pollUntil("the row taken", () => ref.size === 0, 5000, 1);
  assert.deepEqual(writes, [], "nothing written before the delay");
  clock.tick(BLOCKING_STORE_DELAY_MS);
  await pollUntil("the timed write", () => writes.length === 1, 5000, 1);
  assert.deepEqual(writes, [["1", "2"]]);
  await system.shutdown();
});

Deno.test("store sink: a blocking store writes candles at once, with the raw ticks held so far", async () => {
  const writes: string[] = [];
  const store: Store = {
    name: "blocking-candles",
    blocksEventLoop: true,
    migrate: () => Promise.resolve(),
    writeTicks(rows) {
      writes.push(`ticks ${rows.map((t) => t.id).join(",")}`);
      return Promise.resolve();
    },
    writeCandles(rows) {
      writes.push(`candles ${rows.length}`);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  const clock = new FakeClock();
  const registry = createRegistry();
  const system = createActorSystem({ registry, clock });
  const ref = system.spawn(storeSinkProps("sink-blocking-candles", store, {}, { registry }));
  ref.tell({ kind: "ticks", rows: [tick("1")] });
  await pollUntil("the tick held", () => ref.size === 0 && clock.pending === 1, 5000, 1);
  assert.deepEqual(writes, []);
  ref.tell({ kind: "candles", rows: [candle] });
  await pollUntil("the candle written", () => writes.length === 2, 5000, 1);
  assert.deepEqual(writes, ["ticks 1", "candles 1"], "no clock tick needed");
  await system.shutdown();
});

Deno.test("store sink: a blocking store's urgent writes keep a short gap after its last write", async () => {
  const writes: string[] = [];
  const store: Store = {
    name: "blocking-gap",
    blocksEventLoop: true,
    migrate: () => Promise.resolve(),
    writeCandles(rows) {
      writes.push(`candles ${rows.map((c) => c.window_start).join(",")}`);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  const clock = new FakeClock();
  const registry = createRegistry();
  const system = createActorSystem({ registry, clock });
  const ref = system.spawn(storeSinkProps("sink-blocking-gap", store, {}, { registry }));
  ref.tell({ kind: "candles", rows: [{ ...candle, window_start: 0 }] });
  await pollUntil("the first candle written at once", () => writes.length === 1, 5000, 1);
  // Right after that write: the next ones wait out the gap, together.
  ref.tell({ kind: "candles", rows: [{ ...candle, window_start: 60_000 }] });
  ref.tell({ kind: "candles", rows: [{ ...candle, window_start: 120_000 }] });
  await pollUntil("the rows taken", () => ref.size === 0 && clock.pending === 1, 5000, 1);
  assert.deepEqual(writes, ["candles 0"], "nothing written inside the gap");
  clock.tick(URGENT_MIN_GAP_MS);
  await pollUntil("the gathered write", () => writes.length === 2, 5000, 1);
  assert.deepEqual(writes, ["candles 0", "candles 60000,120000"]);
  // Once the gap has passed, an urgent row is written at once again (no timer).
  clock.tick(URGENT_MIN_GAP_MS);
  ref.tell({ kind: "candles", rows: [{ ...candle, window_start: 180_000 }] });
  await pollUntil("written at once", () => writes.length === 3, 5000, 1);
  assert.equal(writes[2], "candles 180000");
  await system.shutdown();
});

Deno.test("store sink: a blocking store's gap grows with its writes' duration, up to a bound", async () => {
  const writes: string[] = [];
  const clock = new FakeClock();
  let writeMs = 4;
  const store: Store = {
    name: "blocking-slow",
    blocksEventLoop: true,
    migrate: () => Promise.resolve(),
    writeCandles(rows) {
      writes.push(`candles ${rows.map((c) => c.window_start).join(",")}`);
      clock.tick(writeMs); // the write holds the event loop that long
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  const registry = createRegistry();
  const system = createActorSystem({ registry, clock });
  const ref = system.spawn(storeSinkProps("sink-blocking-slow", store, {}, { registry }));
  const waitOut = async (ms: number, expected: number) => {
    await pollUntil("the rows taken", () => ref.size === 0 && clock.pending === 1, 5000, 1);
    clock.tick(ms - 1);
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(writes.length, expected - 1, `nothing written before ${ms} ms`);
    clock.tick(1);
    await pollUntil("the gathered write", () => writes.length === expected, 5000, 1);
  };
  ref.tell({ kind: "candles", rows: [{ ...candle, window_start: 0 }] });
  await pollUntil("the first candle written at once", () => writes.length === 1, 5000, 1);
  // A 4 ms write: the next urgent rows wait URGENT_GAP_PER_WRITE × 4 ms.
  writeMs = 40;
  ref.tell({ kind: "candles", rows: [{ ...candle, window_start: 60_000 }] });
  await waitOut(URGENT_GAP_PER_WRITE * 4, 2);
  // A 40 ms write: the gap is capped.
  ref.tell({ kind: "candles", rows: [{ ...candle, window_start: 120_000 }] });
  await waitOut(URGENT_MAX_GAP_MS, 3);
  assert.deepEqual(writes, ["candles 0", "candles 60000", "candles 120000"]);
  await system.shutdown();
});

Deno.test("store sink: a flush writes candles after the predictions, indicator rows and alerts made from them", async () => {
  // A kill between two writes must leave the candle unwritten (a new owner replays it and
  // rewrites the rest idempotently), never the rows made from it: the new owner warms up from the
  // stored candles and would take the replayed candle for a redelivery.
  const writes: string[] = [];
  const record = (kind: string) => () => {
    writes.push(kind);
    return Promise.resolve();
  };
  const store: Store = {
    name: "ordered",
    migrate: () => Promise.resolve(),
    writeTicks: record("ticks"),
    writeCandles: record("candles"),
    writeIndicators: record("indicators"),
    writeAlerts: record("alerts"),
    writePredictions: record("predictions"),
    writeDeadLetters: record("dead_letters"),
    close: () => Promise.resolve(),
  };
  const registry = createRegistry();
  const system = createActorSystem({ registry });
  // Timed batching, so that every kind is buffered when the flush comes.
  const ref = system.spawn(
    storeSinkProps("sink-ordered", store, { maxDelayMs: 60_000 }, { registry }),
  );
  const one = [{}] as never[];
  for (const kind of ["candles", "alerts", "indicators", "predictions", "ticks"] as const) {
    ref.tell({ kind, rows: one } as SinkMessage);
  }
  ref.tell({ kind: "dead_letters", rows: one } as SinkMessage);
  await barrier(ref);
  assert.deepEqual(writes, [
    "dead_letters",
    "ticks",
    "predictions",
    "indicators",
    "alerts",
    "candles",
  ]);
  await system.shutdown();
});
