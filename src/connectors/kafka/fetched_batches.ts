/**
 * One partition's fetched record batches as bytes (fetch_response.ts): the data batches' records
 * as {@linkcode RecordSegment}s for a {@linkcode RecordCursor}, with what the consumer needs before
 * handing them on (how many records at or after the fetch offset, the first and last offsets, the
 * next offset to fetch). Control batches (transaction markers) and the batches of aborted
 * transactions are left out, read-committed (`@platformatic/kafka`'s default), the way Kafka's own
 * consumer tracks aborted producers (the library keeps one range per producer and delivers an
 * aborted transaction whose marker was not fetched yet); compressed batches are decompressed with
 * the library's codecs.
 *
 * A batch's header (61 bytes): base offset (int64), length of the rest (int32), leader epoch
 * (int32), magic (int8), CRC (uint32), attributes (int16), last offset delta (int32), base and
 * max timestamps (int64), producer id (int64), producer epoch (int16), base sequence (int32),
 * record count (int32); then the records. A batch cut short by the fetch's size limit is left
 * for the next fetch.
 * @module
 */
import { Buffer } from "node:buffer";
import { platformatic } from "./platformatic_module.ts";
import { CorruptRecordBatch, RecordCursor, type RecordSegment } from "./record_cursor.ts";

const HEADER = 61;
const IS_COMPRESSED = 0b111;
const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;
const ABORT_MARKER = 0;

/** An aborted transaction a Fetch response lists: its producer and first offset. */
export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

/** The data records of one partition's fetched batches. */
export interface FetchedBatches {
  /** The data batches' records, in offset order (records before `from` included). */
  readonly segments: readonly RecordSegment[];
  /** The fetch offset: records before it are not delivered (a batch may start earlier). */
  readonly from: number;
  /** Records at or after `from`. */
  readonly count: number;
  /** The first and last of those records' offsets (−1 when none). */
  readonly first: number;
  readonly last: number;
  /** The next offset to fetch: past the last complete batch, control batches included. */
  readonly next: bigint;
}

/**
 * The batches in `bytes` (one partition's records from a Fetch response), fetched at `from`.
 * @throws {CorruptRecordBatch} on a batch that is not Kafka's v2 format or runs past its length.
 */
export function fetchedBatches(
  bytes: Uint8Array | null,
  from: bigint,
  aborted: readonly AbortedTransaction[] = [],
): FetchedBatches {
  const segments: RecordSegment[] = [];
  let next = from;
  if (bytes !== null) {
    // A plain view, also of a Buffer: a Buffer's `subarray` makes a Buffer, several times slower.
    bytes = plain(bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const skip = new AbortedProducers(aborted);
    for (let at = 0; at + 12 <= bytes.length;) {
      const end = at + 12 + view.getInt32(at + 8);
      if (end > bytes.length || end < at + HEADER) break; // cut short: fetched again next time
      const baseOffset = view.getBigInt64(at);
      const last = baseOffset + BigInt(view.getInt32(at + 23));
      if (last + 1n > next) next = last + 1n;
      const magic = view.getInt8(at + 16);
      if (magic !== 2) throw new CorruptRecordBatch(`record batch magic ${magic}, not 2`);
      const attributes = view.getInt16(at + 21);
      const producerId = view.getBigInt64(at + 43);
      skip.startingBy(last);
      if (attributes & IS_CONTROL) {
        if (isAbortMarker(bytes, at + HEADER, end)) skip.aborted(producerId);
      } else if (!(attributes & IS_TRANSACTIONAL && skip.has(producerId))) {
        const segment = {
          bytes,
          start: at + HEADER,
          end,
          baseOffset: Number(baseOffset),
          baseTimestamp: Number(view.getBigInt64(at + 27)),
          count: view.getInt32(at + 57),
        };
        const compression = attributes & IS_COMPRESSED;
        segments.push(compression === 0 ? segment : decompressed(segment, compression));
      }
      at = end;
    }
  }
  return { segments, from: Number(from), next, ...countFrom(segments, Number(from)) };
}

/** How many records are at or after `from`, and the first and last of their offsets. */
function countFrom(segments: readonly RecordSegment[], from: number) {
  const cursor = new RecordCursor();
  let count = 0;
  let first = -1;
  let last = -1;
  for (const s of segments) {
    cursor.reset(s);
    while (cursor.next()) {
      if (cursor.offset < from) continue;
      if (first < 0) first = cursor.offset;
      last = cursor.offset;
      count++;
    }
  }
  return { count, first, last };
}

function decompressed(s: RecordSegment, compression: number): RecordSegment {
  const codec = platformatic().compressionsAlgorithmsByBitmask[compression];
  if (!codec) throw new CorruptRecordBatch(`unknown compression ${compression}`);
  // A Buffer: the library's snappy decoder calls Buffer methods on its input.
  const compressed = Buffer.from(s.bytes.buffer, s.bytes.byteOffset + s.start, s.end - s.start);
  const records = codec.decompressSync(compressed);
  return { ...s, bytes: plain(records), start: 0, end: records.length };
}

function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * The producers whose transaction in progress was aborted, as a read-committed consumer tracks
 * them along one partition's batches (Kafka's own consumer does the same): a producer joins when
 * the batches reach the first offset of one of its aborted transactions, and leaves at its abort
 * marker. A transactional batch of a producer in the set is skipped. A transaction whose marker
 * lies beyond the fetched bytes stays skipped to the end of them (the next fetch lists it again).
 */
class AbortedProducers {
  readonly #pending: AbortedTransaction[];
  readonly #active = new Set<bigint>();
  #next = 0;

  constructor(aborted: readonly AbortedTransaction[]) {
    this.#pending = [...aborted].sort((a, b) =>
      a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0
    );
  }

  /** Takes in the aborted transactions starting at or before `lastOffset`. */
  startingBy(lastOffset: bigint): void {
    const pending = this.#pending;
    while (this.#next < pending.length && pending[this.#next].firstOffset <= lastOffset) {
      this.#active.add(pending[this.#next++].producerId);
    }
  }

  has(producerId: bigint): boolean {
    return this.#active.has(producerId);
  }

  /** The producer's abort marker was reached: its later batches are another transaction. */
  aborted(producerId: bigint): void {
    this.#active.delete(producerId);
  }
}

/** Whether the control batch `bytes[start, end)` holds an ABORT marker (key: version, type 0). */
function isAbortMarker(bytes: Uint8Array, start: number, end: number): boolean {
  const cursor = new RecordCursor();
  cursor.reset({ bytes, start, end, baseOffset: 0, baseTimestamp: 0, count: 1 });
  if (!cursor.next() || cursor.keyLength < 4) return false;
  return ((bytes[cursor.keyStart + 2] << 8) | bytes[cursor.keyStart + 3]) === ABORT_MARKER;
}
