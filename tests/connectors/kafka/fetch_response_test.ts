/**
 * fetch_response.ts against `@platformatic/kafka`'s own Fetch parsers, version by version (4 to
 * 17): the same response bytes give the same response, except that each partition's records are
 * the batches' bytes, unchanged, instead of decoded batches; an error is thrown as the library
 * throws it.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Writer } from "@platformatic/kafka";
import {
  FETCH_VERSIONS,
  parseFetchResponse,
  type RawFetchPartition,
} from "../../../src/connectors/kafka/fetch_response.ts";
import { loadPlatformatic } from "../../../src/connectors/kafka/platformatic_module.ts";

const lib = await loadPlatformatic();

interface PartitionSpec {
  index: number;
  error: number;
  aborted: { producerId: bigint; firstOffset: bigint }[] | null;
  records: Buffer | null;
  leader?: { leaderId: number; leaderEpoch: number };
}

const TOPIC = { name: "crypto.ticks", id: "0f6f6a52-1f3e-4c61-9d8a-6b1f0a5b7c11" };

function batchBytes(values: string[], headers: Record<string, string>): Buffer {
  const w = lib.createRecordsBatch(
    values.map((v) => ({
      topic: TOPIC.name,
      key: Buffer.from("BTC-USD"),
      value: Buffer.from(v),
      headers: new Map(Object.entries(headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
      timestamp: 1_700_000_000_000n,
    })),
    { compression: "none", producerId: 7n, producerEpoch: 0 },
  );
  return w.buffer;
}

/** A Fetch response of version `v`, written field by field from the protocol's description. */
function encode(v: number, partitions: PartitionSpec[], endpoints = false, error = 0): Buffer {
  const flexible = v >= 12;
  const w = lib.Writer.create().appendInt32(3);
  if (v >= 7) w.appendInt16(error).appendInt32(42);
  w.appendArray(
    [TOPIC],
    (w, t) => {
      if (v >= 13) w.appendUUID(t.id);
      else w.appendString(t.name, flexible);
      w.appendArray(
        partitions,
        (w, p) => {
          w.appendInt32(p.index).appendInt16(p.error).appendInt64(900n).appendInt64(890n);
          if (v >= 5) w.appendInt64(10n);
          w.appendArray(
            p.aborted,
            (w, a) => w.appendInt64(a.producerId).appendInt64(a.firstOffset),
            flexible,
            flexible,
          );
          if (v >= 11) w.appendInt32(-1);
          w.appendBytes(p.records, flexible);
          if (!flexible) return;
          if (!p.leader) w.appendUnsignedVarInt(0);
          else {
            w.appendUnsignedVarInt(1).appendUnsignedVarInt(1).appendUnsignedVarInt(8)
              .appendInt32(p.leader.leaderId).appendInt32(p.leader.leaderEpoch);
          }
        },
        flexible,
        false,
      );
    },
    flexible,
    flexible,
  );
  if (flexible) {
    if (!endpoints || v < 16) w.appendUnsignedVarInt(0);
    else {
      const inner: Writer = lib.Writer.create().appendArray(
        [{ nodeId: 1, host: "broker-1", port: 9092, rack: null }],
        (w, e) =>
          w.appendInt32(e.nodeId).appendString(e.host).appendInt32(e.port).appendString(e.rack),
      );
      w.appendUnsignedVarInt(1).appendUnsignedVarInt(0).appendUnsignedVarInt(inner.length)
        .appendFrom(inner);
    }
  }
  return w.buffer;
}

type Parser = (c: number, k: number, v: number, r: InstanceType<typeof lib.Reader>) => unknown;

function libraryParser(v: number): Parser {
  return (lib as unknown as Record<string, { parseResponse: Parser }>)[`fetchV${v}`]
    .parseResponse;
}

/** Ours, with only the fields the library's response of this version has. */
function comparable(ours: unknown, theirs: unknown): unknown {
  const o = structuredClone(ours) as Record<string, unknown>;
  const t = theirs as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!(k in t)) delete o[k];
  const topics = o.responses as { partitions: Record<string, unknown>[] }[];
  const theirTopics = t.responses as { partitions: Record<string, unknown>[] }[];
  topics.forEach((topic, i) =>
    topic.partitions.forEach((p, j) => {
      for (const k of Object.keys(p)) if (!(k in theirTopics[i].partitions[j])) delete p[k];
      p.records = theirTopics[i].partitions[j].records; // compared on their own below
    })
  );
  return o;
}

function parseBoth(v: number, bytes: Buffer): { ours: unknown; theirs: unknown } {
  const run = (parse: Parser) => {
    try {
      return parse(0, 1, v, lib.Reader.from(bytes));
    } catch (error) {
      return error;
    }
  };
  return { ours: run(parseFetchResponse as Parser), theirs: run(libraryParser(v)) };
}

Deno.test("parseFetchResponse: every Fetch version reads as the library reads it, records kept as bytes", () => {
  const first = batchBytes(['{"a":1}', '{"a":2}'], { source: "sim", "schema-version": "1" });
  const second = batchBytes(['{"b":3}'], { source: "kraken" });
  const records = Buffer.concat([first, second]);
  for (let v = FETCH_VERSIONS.min; v <= FETCH_VERSIONS.max; v++) {
    const partitions: PartitionSpec[] = [
      { index: 0, error: 0, aborted: null, records, leader: { leaderId: 2, leaderEpoch: 5 } },
      { index: 1, error: 0, aborted: [{ producerId: 7n, firstOffset: 3n }], records: null },
      { index: 2, error: 0, aborted: [], records: Buffer.alloc(0) },
    ];
    const { ours, theirs } = parseBoth(v, encode(v, partitions, true));
    assert.ok(!(ours instanceof Error), `v${v}: ${ours}`);
    assert.deepEqual(comparable(ours, theirs), theirs, `v${v}`);
    const parts = (ours as { responses: { partitions: RawFetchPartition[] }[] }).responses[0]
      .partitions;
    assert.deepEqual(parts.map((p) => p.records), [null, null, null], `v${v}`);
    assert.deepEqual(
      Buffer.from(parts[0].recordBytes!),
      records,
      `v${v}: the batches' bytes, unchanged`,
    );
    assert.equal(parts[1].recordBytes, null);
    assert.equal(parts[2].recordBytes, null, `v${v}: an empty record set is none`);
    const theirBatches = (theirs as { responses: { partitions: { records: unknown[] }[] }[] })
      .responses[0].partitions[0].records;
    assert.equal(theirBatches.length, 2, `v${v}: the library read two batches from the same bytes`);
  }
});

Deno.test("parseFetchResponse: a partition's error is thrown as the library throws it, with the response", () => {
  for (const v of [4, 11, 12, 17]) {
    const partitions: PartitionSpec[] = [
      { index: 0, error: 0, aborted: null, records: null },
      { index: 1, error: 1, aborted: null, records: null }, // OFFSET_OUT_OF_RANGE
    ];
    const { ours, theirs } = parseBoth(v, encode(v, partitions));
    assert.ok(ours instanceof lib.ResponseError, `v${v}`);
    assert.ok(theirs instanceof lib.ResponseError, `v${v}`);
    assert.equal(ours.message, theirs.message);
    const codes = (e: InstanceType<typeof lib.ResponseError>) =>
      e.errors.map((x) => [(x as { path?: string }).path, (x as { apiCode?: number }).apiCode]);
    assert.deepEqual(codes(ours), codes(theirs));
    const response = (e: Error) => (e as unknown as { response: unknown }).response;
    assert.deepEqual(comparable(response(ours), response(theirs)), response(theirs));
  }
});

Deno.test("parseFetchResponse: a response-level error is thrown with the library's label", () => {
  for (let v = 7; v <= FETCH_VERSIONS.max; v++) {
    const { ours, theirs } = parseBoth(v, encode(v, [], false, 71)); // FETCH_SESSION_ID_NOT_FOUND
    assert.ok(ours instanceof lib.ResponseError && theirs instanceof lib.ResponseError, `v${v}`);
    const paths = (e: InstanceType<typeof lib.ResponseError>) =>
      e.errors.map((x) => (x as { path?: string }).path);
    assert.deepEqual(paths(ours), paths(theirs), `v${v}`);
  }
});

Deno.test("parseFetchResponse: refuses an API or version it does not read", () => {
  const bytes = encode(17, []);
  assert.throws(
    () => parseFetchResponse(0, 1, 18, lib.Reader.from(bytes)),
    /cannot read API 1 v18/,
  );
  assert.throws(() => parseFetchResponse(0, 3, 12, lib.Reader.from(bytes)), /cannot read API 3/);
});
