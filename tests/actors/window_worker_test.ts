/**
 * The window worker: packed Kafka records decoded there give the same verdicts as `decodeTick`
 * record by record, the same candles as the in-thread window state, and the worker thread loads
 * under the least-privilege permissions the launcher grants the `process` role.
 */
import assert from "node:assert/strict";
import { WindowWorkerClient, WindowWorkerSlot } from "../../actors/windows/window_worker_client.ts";
import { WindowWorkerHost } from "../../actors/windows/window_worker_host.ts";
import type {
  WindowStep,
  WindowWorkerSettings,
} from "../../actors/windows/window_worker_protocol.ts";
import { WindowCore } from "../../actors/windows/window_core.ts";
import { createTickRules } from "../../actors/analytics/analytics_logic.ts";
import {
  decodePacked,
  type PackedRecords,
  packRecords,
} from "../../src/connectors/kafka/packed_records.ts";
import { decodeTick, encodeTick } from "../../src/connectors/kafka/tick_codec.ts";
import { Buffer } from "node:buffer";
import type { Candle } from "../../src/market/candle.ts";
import { parseIntervals } from "../../src/market/interval.ts";
import type { Tick } from "../../src/market/tick.ts";
import { TickParser } from "../../src/market/tick_parser.ts";
import { testConfig } from "../helpers/test_pipeline.ts";
import { runUnderLauncherPermissions } from "../helpers/launcher_probe.ts";

const T0 = 1_700_000_000_000;
const NOW = T0 + 3_600_000;
const settings: WindowWorkerSettings = {
  intervals: parseIntervals("1m,5m"),
  allowedLatenessMs: 2000,
  lateUpdateWindowMs: 60_000,
  staleAfterMs: 60_000,
};
const enc = new TextEncoder();

function ticks(n: number): Tick[] {
  return Array.from({ length: n }, (_, i) => ({
    source: i % 3 === 0 ? "a" : "b",
    symbol: i % 2 ? "BTC-USD" : "ETH-USD",
    price: 100 + ((i * 37) % 50) / 4,
    size: (i % 7) / 2 + 0.5,
    // Out of order and late by up to 90 s: revisions and late rejections happen.
    ts: T0 + i * 700 - (i % 11 === 0 ? 90_000 : 0),
    id: String(i),
  }));
}

/** Values and source headers as kafkajs hands them over. */
function records(list: Tick[]): { values: Buffer[]; sources: Buffer[] } {
  const encoded = list.map(encodeTick);
  return {
    values: encoded.map((r) => Buffer.from(r.value as string)),
    sources: encoded.map((r) => Buffer.from(r.headers.source)),
  };
}

/** `n` of {@linkcode ticks} as the records request of one partition carries them. */
function packedTicks(n: number): PackedRecords {
  const { values, sources } = records(ticks(n));
  return packRecords(values, sources);
}

Deno.test("packed records: every record gets decodeTick's verdict, whatever its bytes", () => {
  const values: Uint8Array[] = [
    enc.encode(JSON.stringify(encodeTick(ticks(1)[0]).value)).subarray(0, 0), // empty
    enc.encode(encodeTick(ticks(2)[1]).value as string),
    enc.encode('{"symbol":"BTC-USD","price":1,"size":1,"ts":1700000000000,"id":"x"}'), // no source
    enc.encode('{"source":"s","symbol":"BTC-USD","price":-1,"ts":1700000000000,"id":"x"}'),
    enc.encode('{"source":"sé","symbol":"BTC-USD","price":2,"ts":1700000000000,"id":"ü"}'),
    new Uint8Array([123, 34, 0xff, 34, 58, 49, 125]), // invalid UTF-8
    enc.encode(
      '{"source":"s","symbol":"BTC-USD","price":"3.5","ts":"2023-11-14T22:13:20Z","id":7}',
    ),
    enc.encode("not json"),
  ];
  const sources = values.map((_, i) => i === 2 ? "header-source" : undefined);
  const parser = new TickParser({ now: () => NOW });
  const expected = values.map((v, i) =>
    decodeTick(
      Buffer.from(v),
      sources[i] ? { source: Buffer.from(sources[i]!) } : {},
      parser,
    )
  );
  // Both the all-ASCII batch path and the per-record path for non-ASCII batches.
  for (const batch of [values.slice(0, 4), values]) {
    const got: unknown[] = [];
    decodePacked(
      packRecords(batch, sources.slice(0, batch.length)),
      parser,
      (tick) => got.push({ ok: true, tick }),
      (index, reason, detail) => got[index] = { ok: false, reason, detail },
    );
    assert.deepEqual(got, expected.slice(0, batch.length));
  }
  assert.equal((expected[2] as { tick: Tick }).tick.source, "header-source");
  assert.equal(expected.filter((r) => r.ok).length, 4);
});

Deno.test("window worker host: batches of records give the in-thread window state's output", () => {
  const list = ticks(2000);
  // Reference: the same WindowCore fed parsed ticks directly, in one go.
  const core = new WindowCore(settings, { record: () => {} }, createTickRules());
  core.now = NOW;
  for (const t of list) core.add(t);
  core.flush();
  const expected = core.take();

  const host = new WindowWorkerHost(settings);
  const steps: WindowStep[] = [];
  const ask = (body: Record<string, unknown>) => {
    const reply = host.handle({ id: steps.length, partition: 3, now: NOW, ...body } as never);
    assert.ok("result" in reply, JSON.stringify(reply));
    steps.push(reply.result);
    return reply.result;
  };
  ask({ op: "open" });
  const { values, sources } = records(list);
  for (let i = 0; i < list.length; i += 333) {
    ask({
      op: "records",
      records: packRecords(values.slice(i, i + 333), sources.slice(i, i + 333)),
    });
  }
  ask({ op: "flush" });
  const candles: Candle[] = steps.flatMap((s) => s.output.candles);
  assert.ok(candles.length > 50 && candles.some((c) => c.version > 1), "revisions happen");
  assert.deepEqual(candles, expected.candles);
  assert.deepEqual(steps.flatMap((s) => s.output.rejected), expected.rejected);
  assert.ok(expected.rejected.length > 0, "late ticks happen");
  assert.equal(steps.reduce((n, s) => n + s.count, 0), list.length);
  // Per (source, symbol) counts add up; the newest tick of each symbol is reported per step.
  const tally = new Map<string, number>();
  for (const s of steps) {
    for (const r of s.tally) {
      tally.set(`${r.source}/${r.symbol}`, (tally.get(`${r.source}/${r.symbol}`) ?? 0) + r.count);
    }
  }
  assert.deepEqual(Object.fromEntries([...tally].sort()), {
    "a/BTC-USD": 333,
    "a/ETH-USD": 334,
    "b/BTC-USD": 667,
    "b/ETH-USD": 666,
  });
  const first = steps[1].latest.find((t) => t.symbol === "BTC-USD")!;
  const inFirst = list.slice(0, 333).filter((t) => t.symbol === "BTC-USD");
  assert.equal(first.ts, Math.max(...inFirst.map((t) => t.ts)));
  assert.equal(steps[1].maxTs, Math.max(...list.slice(0, 333).map((t) => t.ts)));
});

Deno.test("window worker host: a request for a partition it does not hold fails as a reply", () => {
  const host = new WindowWorkerHost(settings);
  const reply = host.handle({ id: 1, partition: 9, now: NOW, op: "flush" });
  assert.ok("error" in reply && reply.error.includes("partition 9 is not open"));
});

Deno.test("window worker: a real worker thread answers in order; terminate fails what is pending", async () => {
  const client = new WindowWorkerClient(settings);
  try {
    await client.request({ op: "open", partition: 0, now: NOW });
    const step = await client.request({
      op: "records",
      partition: 0,
      now: NOW,
      records: packedTicks(500),
    });
    assert.equal(step.count, 500);
    const flushed = await client.request({ op: "flush", partition: 0, now: NOW });
    assert.ok(flushed.output.candles.length > 0);
    const pending = client.request({ op: "flush", partition: 0, now: NOW });
    client.terminate();
    await assert.rejects(pending, /terminated/);
  } finally {
    client.terminate();
  }
});

Deno.test("window worker: requests made together (one message) each get their own reply", async () => {
  const client = new WindowWorkerClient(settings);
  try {
    const partitions = [0, 1, 2];
    // Not awaited one by one: all of them leave in one message, after this task.
    const opened = partitions.map((partition) =>
      client.request({ op: "open", partition, now: NOW })
    );
    const steps = partitions.map((partition) =>
      client.request({
        op: "records",
        partition,
        now: NOW,
        records: packedTicks(100 * (partition + 1)),
      })
    );
    await Promise.all(opened);
    assert.deepEqual((await Promise.all(steps)).map((s) => s.count), [100, 200, 300]);
  } finally {
    client.terminate();
  }
});

Deno.test("window worker: records sent twice (a supervisor's retry) fail alone; the others go on", async () => {
  const client = new WindowWorkerClient(settings);
  try {
    await client.request({ op: "open", partition: 0, now: NOW });
    const { values, sources } = records(ticks(50));
    const packed = packRecords(values, sources);
    assert.equal(
      (await client.request({ op: "records", partition: 0, now: NOW, records: packed }))
        .count,
      50,
    );
    const again = client.request({ op: "records", partition: 0, now: NOW, records: packed });
    const other = client.request({ op: "flush", partition: 0, now: NOW });
    await assert.rejects(again, /already sent/);
    assert.ok((await other).output.candles.length > 0);
  } finally {
    client.terminate();
  }
});

Deno.test("window worker: loads under the permissions the launcher gives the process role", async () => {
  const config = testConfig([
    "--role=process",
    "--kafka-brokers=127.0.0.1:1",
    "--sqlite=",
    "--http=off",
  ]);
  const { code, text } = await runUnderLauncherPermissions(
    config,
    new URL("../helpers/window_worker_probe.ts", import.meta.url),
  );
  assert.equal(code, 0, text);
  assert.match(text, /candles \d+/);
});

Deno.test("window worker host: a refused record comes back with its offset and original bytes", () => {
  const host = new WindowWorkerHost(settings);
  host.handle({ id: 0, partition: 1, now: NOW, op: "open" });
  const { values, sources } = records(ticks(2));
  const bad = enc.encode('{"source":"s","symbol":"BTC-USD","price":0,"ts":1700000000000,"id":"z"}');
  const reply = host.handle({
    id: 1,
    partition: 1,
    now: NOW,
    op: "records",
    records: packRecords([values[0], bad, values[1]], [sources[0], undefined, sources[1]], [
      100,
      101,
      105,
    ]),
  });
  assert.ok("result" in reply);
  assert.equal(reply.result.count, 2);
  assert.equal(reply.result.rejected.length, 1);
  const [r] = reply.result.rejected;
  assert.deepEqual([r.index, r.offset, r.reason], [1, 101, "bad_price"]);
  assert.deepEqual(r.original, bad);
});

Deno.test("window worker slot: a dead worker is replaced by a working one; after terminate() none starts", async () => {
  const slot = new WindowWorkerSlot(settings);
  try {
    const first = slot.get();
    assert.equal(slot.get(), first, "a live worker is shared");
    await first.request({ op: "open", partition: 0, now: NOW });
    first.terminate(); // as a worker that died: every request fails from now on
    await assert.rejects(first.request({ op: "flush", partition: 0, now: NOW }), /terminated/);
    const second = slot.get();
    assert.notEqual(second, first);
    await second.request({ op: "open", partition: 0, now: NOW });
    const step = await second.request({
      op: "records",
      partition: 0,
      now: NOW,
      records: packedTicks(40),
    });
    assert.equal(step.count, 40);
    slot.terminate();
    assert.ok(second.failed);
    assert.throws(() => slot.get(), /stopped/);
  } finally {
    slot.terminate();
  }
});
