import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  decodeTick,
  encodeDeadLetter,
  encodeTick,
  headerString,
} from "../../../src/connectors/kafka/tick_codec.ts";
import { TickParser } from "../../../src/market/tick_parser.ts";
import type { Tick } from "../../../src/market/tick.ts";

const parser = new TickParser();
const tick: Tick = {
  source: "coinbase",
  symbol: "BTC-USD",
  price: 43000.5,
  size: 0.25,
  ts: 1_700_000_000_000,
  id: "981",
  side: "sell",
};

Deno.test("encodeTick() keys by symbol, writes fixed-order JSON and the two headers", () => {
  const record = encodeTick(tick);
  assert.equal(record.key, "BTC-USD");
  assert.equal(
    record.value,
    '{"source":"coinbase","symbol":"BTC-USD","price":43000.5,"size":0.25,"ts":1700000000000,"id":"981","side":"sell"}',
  );
  assert.deepEqual(record.headers, { source: "coinbase", "schema-version": "1" });
  // Same tick with its fields in another order → same bytes.
  const shuffled = {
    id: "981",
    ts: tick.ts,
    side: "sell",
    size: 0.25,
    price: 43000.5,
    symbol: "BTC-USD",
    source: "coinbase",
  } as Tick;
  assert.equal(encodeTick(shuffled).value, record.value);
});

Deno.test("decodeTick() round-trips what encodeTick() wrote, from a Buffer as kafkajs gives it", () => {
  const record = encodeTick(tick);
  const headers = { source: Buffer.from("coinbase"), "schema-version": Buffer.from("1") };
  assert.deepEqual(decodeTick(Buffer.from(record.value as string), headers, parser), {
    ok: true,
    tick,
  });
});

Deno.test("decodeTick() rejects bad input with the dead-letter reason", () => {
  const bytes = (s: string) => Buffer.from(s);
  const cases: [Buffer | null, Record<string, string> | undefined, string][] = [
    [bytes("{not json"), undefined, "malformed_json"],
    [null, undefined, "missing_field"],
    [
      bytes('{"symbol":"BTC-USD","price":1,"ts":1700000000000,"id":"1"}'),
      undefined,
      "missing_field",
    ],
    [bytes(JSON.stringify({ ...tick, price: -1 })), undefined, "bad_price"],
    [bytes(JSON.stringify({ ...tick, ts: 5 })), undefined, "bad_timestamp"],
    [bytes(JSON.stringify({ ...tick, id: "x".repeat(5000) })), undefined, "too_large"],
    [bytes(encodeTick(tick).value as string), { "schema-version": "2" }, "unknown_message"],
    [
      Buffer.concat([bytes('{"source":"x'), Buffer.from([0xff]), bytes('","symbol":"BTC-USD"}')]),
      undefined,
      "malformed_json",
    ],
  ];
  for (const [value, headers, reason] of cases) {
    const r = decodeTick(value, headers, parser);
    assert.equal(r.ok ? "ok" : r.reason, reason, `for ${value?.toString().slice(0, 60)}`);
  }
});

Deno.test("decodeTick() takes a missing source from the source header", () => {
  const { source: _, ...rest } = tick;
  const r = decodeTick(Buffer.from(JSON.stringify(rest)), { source: "kraken" }, parser);
  assert.deepEqual(r, { ok: true, tick: { ...tick, source: "kraken" } });
});

Deno.test("encodeDeadLetter() keeps the original bytes and puts the reason in headers", () => {
  const original = new TextEncoder().encode('{"price":-1}');
  const record = encodeDeadLetter(
    {
      reason: "bad_price",
      detail: "price -1",
      raw: '{"price":-1}',
      source: "crypto.ticks/3",
      ts: 7,
    },
    original,
  );
  assert.equal(record.key, "crypto.ticks/3");
  assert.equal(Buffer.compare(record.value as Buffer, Buffer.from(original.buffer)), 0);
  assert.equal(headerString(record.headers, "reason"), "bad_price");
  assert.equal(record.headers.detail, "price -1");
  assert.equal(record.headers["rejected-at"], "7");
});
