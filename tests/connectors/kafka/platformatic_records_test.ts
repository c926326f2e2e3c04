/**
 * What the `@platformatic/kafka` consumer hands over for a fetched partition: kafkajs' record
 * shape (offsets and timestamps as decimal strings, headers by name), records before the fetch
 * offset and control batches left out, and offsets read as numbers by `offsetOf`.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { fetchV17, KafkaRecord, RecordsBatch } from "@platformatic/kafka";
import { partitionRecords } from "../../../src/connectors/kafka/platformatic_records.ts";
import { offsetOf } from "../../../src/connectors/kafka/fetched_message.ts";

const b = (s: string) => Buffer.from(s);

function record(offsetDelta: number, headers: [Buffer | null, Buffer | null][]): KafkaRecord {
  return {
    length: 0,
    attributes: 0,
    timestampDelta: BigInt(offsetDelta * 10),
    offsetDelta,
    key: b(`k${offsetDelta}`),
    value: b(`v${offsetDelta}`),
    headers,
  };
}

function batch(firstOffset: bigint, records: KafkaRecord[], attributes = 0): RecordsBatch {
  return {
    firstOffset,
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes,
    lastOffsetDelta: records.length - 1,
    firstTimestamp: 1_700_000_000_000n,
    maxTimestamp: 0n,
    producerId: -1n,
    producerEpoch: -1,
    firstSequence: -1,
    records,
  };
}

function partition(records: RecordsBatch[]): fetchV17.FetchResponsePartition {
  return { partitionIndex: 0, records } as unknown as fetchV17.FetchResponsePartition;
}

Deno.test("partitionRecords: records from the fetch offset in kafkajs' shape, control batches skipped", () => {
  const p = partition([
    batch(100n, [
      record(0, [[b("source"), b("sim")]]),
      record(1, [[b("source"), b("sim")], [b("schema-version"), b("1")]]),
      record(2, [[b("x-custom"), b("a")], [b("x-custom"), b("b")], [b("x-custom"), null]]),
    ]),
    // A transaction marker (attributes bit 5): not data, but the next offset moves past it.
    batch(103n, [record(0, [[b("control"), b("commit")]])], 1 << 5),
    batch(104n, [record(0, [[null, b("nameless")], [b("control"), b("end-of-input")]])]),
  ]);
  const { messages, next } = partitionRecords(p, 101n);
  assert.equal(next, 105n);
  assert.deepEqual(
    messages.map((m) => ({
      offset: m.offset,
      timestamp: m.timestamp,
      key: m.key?.toString(),
      value: m.value?.toString(),
      headers: Object.fromEntries(
        Object.entries(m.headers ?? {}).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.map((x) => x?.toString()) : v?.toString(),
        ]),
      ),
    })),
    [
      {
        offset: "101",
        timestamp: "1700000000010",
        key: "k1",
        value: "v1",
        headers: { source: "sim", "schema-version": "1" },
      },
      {
        offset: "102",
        timestamp: "1700000000020",
        key: "k2",
        value: "v2",
        headers: { "x-custom": ["a", "b", undefined] },
      },
      {
        offset: "104",
        timestamp: "1700000000000",
        key: "k0",
        value: "v0",
        headers: { control: "end-of-input" },
      },
    ],
  );
  assert.deepEqual(messages.map(offsetOf), [101, 102, 104]);
  // Logged or dumped, a record reads as kafkajs' does.
  assert.deepEqual(
    Object.keys(JSON.parse(JSON.stringify(messages[0]))).sort(),
    ["attributes", "headers", "key", "offset", "timestamp", "value"],
  );
  assert.equal(JSON.parse(JSON.stringify(messages[0])).offset, "101");
});

Deno.test("partitionRecords: a header name that only shares a known name's length or prefix is its own", () => {
  const { messages } = partitionRecords(
    partition([batch(0n, [record(0, [[b("sourcE"), b("a")], [b("sources"), b("b")]])])]),
    0n,
  );
  assert.deepEqual(Object.keys(messages[0].headers ?? {}), ["sourcE", "sources"]);
});

Deno.test("offsetOf reads a kafkajs record's decimal offset too", () => {
  assert.equal(offsetOf({ offset: "9007199254740991" }), 2 ** 53 - 1);
  assert.equal(offsetOf({ offset: "0" }), 0);
});
