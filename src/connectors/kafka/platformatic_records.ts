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
    out.push({
      key: r.key,
      value: r.value,
      headers: headersOf(r.headers),
      offset: String(offset),
      timestamp: String(firstTs + Number(r.timestampDelta)),
      attributes: r.attributes,
    });
  }
}

/** Headers by name, a repeated name's values in an array (as kafkajs does). */
function headersOf(entries: readonly [Buffer | null, Buffer | null][]): IHeaders {
  const headers: IHeaders = {};
  for (const [k, v] of entries) {
    if (k === null) continue;
    const name = k.toString();
    const value = v ?? undefined;
    const prior = headers[name];
    if (prior === undefined) headers[name] = value;
    else headers[name] = [...(Array.isArray(prior) ? prior : [prior]), value] as Buffer[];
  }
  return headers;
}
