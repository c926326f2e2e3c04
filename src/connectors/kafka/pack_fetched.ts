/**
 * Packs fetched record batches (fetched_batches.ts) for the window worker straight from their
 * bytes: the values and `source` headers of the records a rule accepts are copied into one
 * {@linkcode PackedRecords}; every other record (a marker, a null value, another schema version)
 * comes back as a message in kafkajs' shape for its owner to handle one by one. No object is
 * made for an accepted record, where a client's decoder makes several (a `Buffer` per key, value
 * and header): this is the `process` role's fetch path on `@platformatic/kafka`.
 * @module
 */
import { Buffer } from "node:buffer";
import type { KafkaMessage } from "kafkajs";
import type { FetchedBatches } from "./fetched_batches.ts";
import { FetchedMessage } from "./fetched_message.ts";
import type { PackedRecords } from "./packed_records.ts";
import { headersOf } from "./platformatic_records.ts";
import { RecordCursor } from "./record_cursor.ts";

/** Whether the record under the cursor is packed (else handed back as a message). */
export type PackRule = (record: RecordCursor) => boolean;

/** What {@linkcode packFetched} made of a partition's batches. */
export interface PackedFetch {
  /** The accepted records, in offset order. */
  readonly packed: PackedRecords;
  /** The others, in offset order. */
  readonly others: KafkaMessage[];
}

const SOURCE = new TextEncoder().encode("source");

/**
 * Packs the records of `batches` at or after its fetch offset that `accept` takes; the buffer
 * is fresh (the caller may transfer it).
 */
export function packFetched(batches: FetchedBatches, accept: PackRule): PackedFetch {
  const cursor = new RecordCursor();
  const others: KafkaMessage[] = [];
  // First pass: where each accepted record's value and source are (read once: the rule and the
  // header search cost more than the copies), and the records handed back.
  const at = scratch(batches.count);
  let n = 0;
  let valueLength = 0;
  let sourceLength = 0;
  for (let s = 0; s < batches.segments.length; s++) {
    cursor.reset(batches.segments[s]);
    while (cursor.next()) {
      if (cursor.offset < batches.from) continue;
      if (!accept(cursor)) {
        others.push(messageAt(cursor));
        continue;
      }
      const k = 6 * n++;
      at[k] = s;
      at[k + 1] = cursor.offset;
      at[k + 2] = cursor.valueStart;
      at[k + 3] = cursor.valueLength;
      valueLength += cursor.valueLength;
      const source = cursor.header(SOURCE);
      at[k + 4] = source ? cursor.headerStart : 0;
      at[k + 5] = source ? cursor.headerLength : 0;
      sourceLength += at[k + 5];
    }
  }
  // One buffer holds every array (the wider elements first, for alignment): one transfer.
  const buffer = new ArrayBuffer(16 * n + valueLength + sourceLength);
  const offsets = new Float64Array(buffer, 0, n);
  const ends = new Uint32Array(buffer, 8 * n, n);
  const sourceEnds = new Uint32Array(buffer, 12 * n, n);
  const values = new Uint8Array(buffer, 16 * n, valueLength);
  const sources = new Uint8Array(buffer, 16 * n + valueLength, sourceLength);
  let v = 0;
  let src = 0;
  for (let i = 0; i < n; i++) {
    const k = 6 * i;
    const bytes = batches.segments[at[k]].bytes;
    offsets[i] = at[k + 1];
    values.set(bytes.subarray(at[k + 2], at[k + 2] + at[k + 3]), v);
    ends[i] = v += at[k + 3];
    sources.set(bytes.subarray(at[k + 4], at[k + 4] + at[k + 5]), src);
    sourceEnds[i] = src += at[k + 5];
  }
  return { packed: { offsets, ends, sourceEnds, values, sources }, others };
}

/** Six numbers per record: segment, offset, value start and length, source start and length. */
let scratchArray = new Float64Array(6 * 1024);

/** Room for `n` records (reused between calls: one thread, one call at a time). */
function scratch(n: number): Float64Array {
  if (scratchArray.length < 6 * n) scratchArray = new Float64Array(6 * n);
  return scratchArray;
}

/** The record under the cursor as a message (its bytes viewed, not copied). */
function messageAt(c: RecordCursor): KafkaMessage {
  const at = (start: number, length: number) =>
    length < 0 ? null : asBuffer(c.bytes.subarray(start, start + length));
  const headers = c.headers().map(([k, v]) => [k && asBuffer(k), v && asBuffer(v)] as const);
  return new FetchedMessage(
    at(c.keyStart, c.keyLength),
    at(c.valueStart, c.valueLength),
    headersOf(headers),
    0,
    c.offset,
    c.timestamp,
  );
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
