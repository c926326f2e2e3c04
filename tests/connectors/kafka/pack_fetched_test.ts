/**
 * The `process` role's two ways into the window worker give the same batch: records packed
 * straight from fetched batch bytes (fetched_batches.ts, record_cursor.ts, pack_fetched.ts with
 * `isTickRecord`) against the library decoding the same bytes into messages, classified and
 * packed as the role does for kafkajs. Random records: null values and keys, non-ASCII values,
 * repeated, null-valued and unknown headers, markers, other schema versions; batches that start
 * before the fetch offset, transaction markers, compressed batches (every codec) and a batch cut
 * short.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { KafkaMessage } from "kafkajs";
import { fetchedBatches } from "../../../src/connectors/kafka/fetched_batches.ts";
import { CorruptRecordBatch } from "../../../src/connectors/kafka/record_cursor.ts";
import { offsetOf } from "../../../src/connectors/kafka/fetched_message.ts";
import { packFetched } from "../../../src/connectors/kafka/pack_fetched.ts";
import { packRecords } from "../../../src/connectors/kafka/packed_records.ts";
import { loadPlatformatic } from "../../../src/connectors/kafka/platformatic_module.ts";
import { partitionRecords } from "../../../src/connectors/kafka/platformatic_records.ts";
import {
  headerString,
  headerValue,
  isEndOfInput,
  isTickRecord,
  unsupportedVersion,
} from "../../../src/connectors/kafka/tick_codec.ts";
import { Prng } from "../../../src/feeds/prng.ts";

const lib = await loadPlatformatic();
/** Every codec Kafka has (the library's snappy decoder calls Buffer methods on its input). */
const CODECS = ["gzip", "snappy", "lz4", "zstd"] as const;
const IS_CONTROL = 1 << 5;
const IS_TRANSACTIONAL = 1 << 4;

interface Rec {
  key: Buffer | null;
  value: Buffer | null;
  headers: [Buffer | null, Buffer | null][];
}

/** One record batch's bytes at `base`, as a producer writes it (then placed by the "broker"). */
function batch(
  base: number,
  records: Rec[],
  o: {
    compression?: "none" | typeof CODECS[number];
    control?: boolean;
    transactional?: boolean;
    producerId?: bigint;
  } = {},
): Buffer {
  const w = lib.createRecordsBatch(
    records.map((r, i) => ({
      topic: "t",
      key: r.key ?? undefined,
      value: r.value as Buffer,
      headers: new Map(r.headers) as Map<Buffer, Buffer>,
      timestamp: 1_700_000_000_000n + BigInt(i * 7),
    })),
    { compression: o.compression ?? "none", producerId: o.producerId ?? -1n, producerEpoch: 0 },
  );
  const bytes = Buffer.from(w.buffer);
  bytes.writeBigInt64BE(BigInt(base), 0);
  if (o.control) bytes.writeInt16BE(bytes.readInt16BE(21) | IS_CONTROL, 21);
  if (o.transactional) bytes.writeInt16BE(bytes.readInt16BE(21) | IS_TRANSACTIONAL, 21);
  return bytes;
}

function randomRecords(rand: () => number, n: number): Rec[] {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const b = (s: string | null) => s === null ? null : Buffer.from(s);
  return Array.from({ length: n }, (_, i) => {
    const headers: [Buffer | null, Buffer | null][] = [];
    const h = Math.floor(rand() * 5);
    for (let k = 0; k < h; k++) {
      headers.push([
        b(pick(["source", "schema-version", "control", "x-custom", "sourcex", "source"])),
        b(pick(["sim", "kraken", "1", "2", "end-of-input", "end-of-inpu", "", null, "ü"])),
      ]);
    }
    return {
      key: rand() < 0.2 ? null : b(`k${i}`),
      value: rand() < 0.08 ? null : b(pick([`{"p":${i}}`, `{"s":"€${i}"}`, "", "x".repeat(300)])),
      headers,
    };
  });
}

/** The role's kafkajs-path classification and packing of `messages`. */
function viaMessages(messages: KafkaMessage[]) {
  const values: Uint8Array[] = [];
  const sources: (Uint8Array | string | undefined)[] = [];
  const offsets: number[] = [];
  const others: KafkaMessage[] = [];
  for (const m of messages) {
    if (m.value === null || isEndOfInput(m.headers) || unsupportedVersion(m.headers) !== null) {
      others.push(m);
      continue;
    }
    values.push(m.value);
    sources.push(headerValue(m.headers, "source"));
    offsets.push(offsetOf(m));
  }
  return { packed: packRecords(values, sources, offsets), others };
}

/** A message as comparable data: offset, value, key, every header by name as strings. */
function plain(m: KafkaMessage) {
  const headers = Object.fromEntries(
    Object.keys(m.headers ?? {}).map((k) => [k, headerString(m.headers!, k) ?? null]),
  );
  return { offset: m.offset, key: m.key?.toString(), value: m.value?.toString(), headers };
}

const arrays = (p: ReturnType<typeof packRecords>) => ({
  offsets: [...p.offsets],
  ends: [...p.ends],
  sourceEnds: [...p.sourceEnds],
  values: Buffer.from(p.values).toString(),
  sources: Buffer.from(p.sources).toString(),
});

Deno.test("packFetched: the same packed records and the same others as the library's messages, on random batches", () => {
  for (let seed = 1; seed <= 150; seed++) {
    const prng = new Prng(seed);
    const rand = () => prng.next();
    const parts: Buffer[] = [];
    let base = 1000 * seed;
    const start = base;
    for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) {
      const n = 1 + Math.floor(rand() * 12);
      const kind = rand();
      if (kind < 0.15) {
        parts.push(batch(base, randomRecords(rand, 1), { control: true }));
        base += 1;
        continue;
      }
      const compression = kind < 0.35 ? CODECS[Math.floor(rand() * CODECS.length)] : "none";
      parts.push(batch(base, randomRecords(rand, n), { compression }));
      base += n;
    }
    if (rand() < 0.5) {
      const cut = batch(base, randomRecords(rand, 3));
      parts.push(cut.subarray(0, 12 + Math.floor(rand() * (cut.length - 13))));
    }
    const bytes = Buffer.concat(parts);
    const from = start + Math.floor(rand() * 4);
    const theirs = partitionRecords(
      { records: lib.readRecordsBatches(lib.Reader.from(bytes)) } as never,
      BigInt(from),
    );
    const expected = viaMessages(theirs.messages);
    const batches = fetchedBatches(bytes, BigInt(from));
    const ours = packFetched(batches, isTickRecord);
    assert.equal(batches.next, theirs.next, `seed ${seed}: next`);
    assert.equal(batches.count, theirs.messages.length, `seed ${seed}: count`);
    const offsets = theirs.messages.map(offsetOf);
    assert.equal(batches.first, offsets[0] ?? -1, `seed ${seed}: first`);
    assert.equal(batches.last, offsets.at(-1) ?? -1, `seed ${seed}: last`);
    assert.deepEqual(arrays(ours.packed), arrays(expected.packed), `seed ${seed}: packed`);
    assert.deepEqual(ours.others.map(plain), expected.others.map(plain), `seed ${seed}: others`);
  }
});

Deno.test("fetchedBatches: an aborted transaction's batches are skipped from its first offset to its abort marker", () => {
  const b = (s: string) => Buffer.from(s);
  const data = (base: number, producerId: bigint, transactional = true) =>
    batch(base, [{ key: null, value: b(`v${base}`), headers: [] }], { producerId, transactional });
  // A control record's key: version 0, then the type: 0 ABORT, 1 COMMIT.
  const marker = (base: number, producerId: bigint, type: number) =>
    batch(base, [{ key: Buffer.from([0, 0, 0, type]), value: b(""), headers: [] }], {
      control: true,
      transactional: true,
      producerId,
    });
  const delivered = (bytes: Buffer, aborted: { producerId: bigint; firstOffset: bigint }[]) => {
    const batches = fetchedBatches(bytes, 10n, aborted);
    return { offsets: [...packFetched(batches, () => true).packed.offsets], next: batches.next };
  };
  const one = Buffer.concat([data(10, 7n), data(11, 8n, false), marker(12, 7n, 0), data(13, 7n)]);
  assert.deepEqual(delivered(one, [{ producerId: 7n, firstOffset: 10n }]), {
    offsets: [11, 13],
    next: 14n,
  });
  assert.deepEqual(delivered(one, []), { offsets: [10, 11, 13], next: 14n });
  // The abort marker beyond these bytes (a fetch cut short): skipped to their end, not delivered
  // (the library would deliver them).
  const cut = Buffer.concat([data(10, 7n), data(11, 8n, false)]);
  assert.deepEqual(delivered(cut, [{ producerId: 7n, firstOffset: 10n }]), {
    offsets: [11],
    next: 12n,
  });
  // Two aborted transactions of one producer, a committed one between them (the library keeps
  // one range per producer, the last, and would deliver offset 10).
  const two = Buffer.concat([
    data(10, 7n),
    marker(11, 7n, 0),
    data(12, 7n),
    marker(13, 7n, 1),
    data(14, 7n),
    marker(15, 7n, 0),
  ]);
  const aborted = [{ producerId: 7n, firstOffset: 14n }, { producerId: 7n, firstOffset: 10n }];
  assert.deepEqual(delivered(two, aborted), { offsets: [12], next: 16n });
});

Deno.test("fetchedBatches: a batch of another format, or records running past their batch, is refused", () => {
  const good = batch(5, [{ key: null, value: Buffer.from("v"), headers: [] }]);
  const oldMagic = Buffer.from(good);
  oldMagic.writeInt8(1, 16);
  assert.throws(() => fetchedBatches(oldMagic, 5n), CorruptRecordBatch);
  const overlong = Buffer.from(good);
  overlong.writeInt32BE(5, 57); // five records announced, one present
  assert.throws(() => fetchedBatches(overlong, 5n), CorruptRecordBatch);
  assert.equal(fetchedBatches(null, 5n).next, 5n);
  assert.equal(fetchedBatches(good, 5n).count, 1);
});

Deno.test("fetchedBatches: a batch length that points back is the end of the data, also with aborted transactions listed", () => {
  const good = batch(5, [{ key: null, value: Buffer.from("v"), headers: [] }]);
  const back = Buffer.concat([good, good]);
  back.writeInt32BE(-12, good.length + 8); // the second batch "ends" where it starts
  const aborted = [{ producerId: 3n, firstOffset: 0n }];
  const batches = fetchedBatches(back, 5n, aborted); // a scan for markers once looped forever here
  assert.equal(batches.count, 1);
  assert.equal(batches.next, 6n);
});
