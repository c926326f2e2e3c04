/**
 * One partition of a `@platformatic/kafka` fetch response as the records the consumer's owner is
 * handed: the shape kafkajs hands over (`KafkaMessage`: Buffer key and value, headers by name,
 * offset and timestamp as decimal strings), so the roles read both clients the same way.
 * @module
 */
import type { Buffer } from "node:buffer";
import type { fetchV17, RecordsBatch } from "@platformatic/kafka";

type FetchResponsePartition = fetchV17.FetchResponsePartition;
import type { IHeaders, KafkaMessage } from "kafkajs";
import { FetchedMessage } from "./fetched_message.ts";

/** Bit 5 of a record batch's attributes: a transaction marker, not data. */
const IS_CONTROL = 1 << 5;

/** What {@linkcode partitionRecords} found in one partition's fetched batches. */
export interface FetchedPartition {
  /** Records at or after `from`, in offset order. */
  readonly messages: KafkaMessage[];
  /** The next offset to fetch (after the last batch, control batches included). */
  readonly next: bigint;
}

/**
 * The records of `p` at or after `from` (a batch may start before the offset asked for).
 *
 * @example
 * ```ts ignore
 * const { messages, next } = partitionRecords(response.responses[0].partitions[0], 42n);
 * ```
 */
export function partitionRecords(p: FetchResponsePartition, from: bigint): FetchedPartition {
  const messages: KafkaMessage[] = [];
  let next = from;
  for (const batch of p.records ?? []) {
    const end = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
    if (end > next) next = end;
    if (batch.attributes & IS_CONTROL) continue;
    appendBatch(batch, from, messages);
  }
  return { messages, next };
}

function appendBatch(batch: RecordsBatch, from: bigint, out: KafkaMessage[]): void {
  const first = Number(batch.firstOffset);
  const firstTs = Number(batch.firstTimestamp);
  const min = Number(from);
  for (const r of batch.records) {
    const offset = first + r.offsetDelta;
    if (offset < min) continue;
    out.push(
      new FetchedMessage(
        r.key,
        r.value,
        headersOf(r.headers),
        r.attributes,
        offset,
        firstTs + Number(r.timestampDelta),
      ),
    );
  }
}

/**
 * The header names this pipeline writes, as bytes: a record's names are matched against them
 * before anything is decoded, since decoding two names per record (a string and an object
 * property each) cost as much as the rest of the conversion.
 */
const KNOWN_NAMES: readonly (readonly [string, Uint8Array])[] = [
  "source",
  "schema-version",
  "control",
  "reason",
  "detail",
  "rejected-at",
].map((name) => [name, new TextEncoder().encode(name)] as const);

/** `k` decoded, through {@linkcode KNOWN_NAMES} when it is one of them. */
function headerName(k: Uint8Array): string {
  for (let n = 0; n < KNOWN_NAMES.length; n++) {
    const [name, bytes] = KNOWN_NAMES[n];
    if (bytes.length !== k.length) continue;
    let i = 0;
    while (i < bytes.length && bytes[i] === k[i]) i++;
    if (i === bytes.length) return name;
  }
  return (k as Buffer).toString();
}

/** Headers by name, a repeated name's values in an array (as kafkajs does). */
export function headersOf(
  entries: readonly (readonly [Buffer | null, Buffer | null])[],
): IHeaders {
  const headers: IHeaders = {};
  for (let e = 0; e < entries.length; e++) {
    const [k, v] = entries[e];
    if (k === null) continue;
    const name = headerName(k);
    const value = v ?? undefined;
    const prior = headers[name];
    if (prior === undefined) headers[name] = value;
    else headers[name] = [...(Array.isArray(prior) ? prior : [prior]), value] as Buffer[];
  }
  return headers;
}
