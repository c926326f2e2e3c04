/**
 * Kafka record values, with their `source` headers, copied into flat buffers that can be
 * transferred to a worker thread (one copy of the bytes; no object per record crosses threads),
 * and decoded there into ticks through the shared {@linkcode TickParser}.
 * @module
 */
import type { RejectReason } from "../../market/dead_letter.ts";
import { isRejection, lacksSource, type TickParser } from "../../market/tick_parser.ts";
import type { Tick } from "../../market/tick.ts";

/**
 * Record `i`'s value is `values[ends[i-1] ?? 0, ends[i])`; its source header likewise; its Kafka
 * offset is `offsets[i]`.
 */
export interface PackedRecords {
  readonly offsets: Float64Array;
  readonly values: Uint8Array;
  readonly ends: Uint32Array;
  readonly sources: Uint8Array;
  readonly sourceEnds: Uint32Array;
}

const encoder = new TextEncoder();

/**
 * Packs record values, source headers (absent → empty) and offsets (default: the index) into one
 * fresh buffer, which the caller may transfer. The caller can then drop the records themselves.
 *
 * @example
 * ```ts
 * import { packRecords } from "./packed_records.ts";
 * const p = packRecords([new TextEncoder().encode("{}")], ["sim"], [42]);
 * console.assert(p.ends[0] === 2 && p.sourceEnds[0] === 3 && p.offsets[0] === 42);
 * ```
 */
export function packRecords(
  values: readonly Uint8Array[],
  sources: readonly (Uint8Array | string | undefined)[],
  offsets?: readonly number[],
): PackedRecords {
  const n = values.length;
  const sourceBytes = sources.map((s) => typeof s === "string" ? encoder.encode(s) : s);
  let valueLength = 0;
  let sourceLength = 0;
  for (let i = 0; i < n; i++) {
    valueLength += values[i].length;
    sourceLength += sourceBytes[i]?.length ?? 0;
  }
  // One buffer holds every array (the wider elements first, for alignment): one transfer.
  const buffer = new ArrayBuffer(16 * n + valueLength + sourceLength);
  const packed = {
    offsets: new Float64Array(buffer, 0, n),
    ends: new Uint32Array(buffer, 8 * n, n),
    sourceEnds: new Uint32Array(buffer, 12 * n, n),
    values: new Uint8Array(buffer, 16 * n, valueLength),
    sources: new Uint8Array(buffer, 16 * n + valueLength, sourceLength),
  };
  let v = 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    packed.offsets[i] = offsets ? offsets[i] : i;
    packed.values.set(values[i], v);
    packed.ends[i] = v += values[i].length;
    const source = sourceBytes[i];
    if (source !== undefined) {
      packed.sources.set(source, s);
      s += source.length;
    }
    packed.sourceEnds[i] = s;
  }
  return packed;
}

/** The buffers to transfer with a {@linkcode PackedRecords}. */
export function transferables(p: PackedRecords): ArrayBuffer[] {
  return [
    ...new Set([
      p.offsets.buffer,
      p.values.buffer,
      p.ends.buffer,
      p.sources.buffer,
      p.sourceEnds.buffer,
    ]),
  ] as ArrayBuffer[];
}

/** Record `i`'s value bytes (a view into the packed buffer). */
export function recordValue(p: PackedRecords, i: number): Uint8Array {
  return slot(p.values, p.ends, i);
}

const lenient = new TextDecoder();

/**
 * Decodes every record in order: `tick` for a valid one, `reject` (with the record's index) for
 * anything else. Same verdicts as `decodeTick` on each record: a value without a source takes its
 * `source` header. Pure ASCII input (nearly all of it) is decoded once for the whole batch.
 */
export function decodePacked(
  p: PackedRecords,
  parser: TickParser,
  tick: (t: Tick, index: number) => void,
  reject: (index: number, reason: RejectReason, detail: string) => void,
): void {
  const { values, ends } = p;
  const text = lenient.decode(values);
  // Same length and no replacement character: every byte was one ASCII character.
  const ascii = text.length === values.length && !text.includes("\uFFFD");
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i];
    let r = ascii
      ? parser.parseTickAt(text, start, end)
      : parser.parseTick(values.subarray(start, end));
    if (isRejection(r) && lacksSource(r)) {
      const source = sourceOf(p, i);
      if (source) r = parser.parseTick(values.subarray(start, end), source);
    }
    if (isRejection(r)) reject(i, r.reason, r.detail);
    else tick(r, i);
    start = end;
  }
}

function sourceOf(p: PackedRecords, i: number): string {
  return lenient.decode(slot(p.sources, p.sourceEnds, i));
}

/** Item `i` of bytes packed back to back, `ends` giving where each one ends. */
function slot(bytes: Uint8Array, ends: Uint32Array, i: number): Uint8Array {
  return bytes.subarray(i === 0 ? 0 : ends[i - 1], ends[i]);
}
