/**
 * The `@platformatic/kafka` side of the batching producer: one `send()` of every topic's records,
 * keys partitioned with the Java-compatible murmur2 (the same mapping as kafkajs, the memory bus
 * and other clients), keyless records round robin unless they name their partition.
 * @module
 */
import { Buffer } from "node:buffer";
import {
  CompressionAlgorithms,
  type CompressionAlgorithmValue,
  type MessageToProduce,
  ProduceAcks,
  Producer,
  type ProduceResult,
  serializersFrom,
} from "@platformatic/kafka";
import { CompressionTypes, type Message } from "kafkajs";
import type { BatchSender, Unacknowledged } from "./batch_sender.ts";
import { murmur2 } from "./murmur2.ts";
import type { PlatformaticKafka } from "./platformatic_client.ts";

type Bytes = Buffer | string;

/** Strings as UTF-8, Buffers as they are, null/undefined as absent. */
const toBuffer = (data?: Bytes | null) =>
  data === undefined || data === null
    ? undefined
    : typeof data === "string"
    ? Buffer.from(data)
    : data;

const COMPRESSION: Record<number, CompressionAlgorithmValue> = {
  [CompressionTypes.None]: CompressionAlgorithms.NONE,
  [CompressionTypes.GZIP]: CompressionAlgorithms.GZIP,
  [CompressionTypes.Snappy]: CompressionAlgorithms.SNAPPY,
  [CompressionTypes.LZ4]: CompressionAlgorithms.LZ4,
  [CompressionTypes.ZSTD]: CompressionAlgorithms.ZSTD,
};

const ACKS = { [-1]: ProduceAcks.ALL, 0: ProduceAcks.NO_RESPONSE, 1: ProduceAcks.LEADER } as const;

/** A {@linkcode BatchSender} over a `@platformatic/kafka` producer. */
export function platformaticSender(client: PlatformaticKafka): BatchSender {
  let roundRobin = 0;
  let producer: Producer<Bytes, Bytes, Bytes, Bytes> | undefined;
  /** The partition (before the library's modulo) of each record in flight. */
  const assigned = new WeakMap<object, number>();
  const assign = (m: object, p: number) => (assigned.set(m, p), p);
  return {
    connect() {
      producer ??= new Producer<Bytes, Bytes, Bytes, Bytes>({
        ...client.options("producer"),
        serializers: serializersFrom<Bytes>(toBuffer),
        autocreateTopics: true,
        // The library takes the result modulo the partition count.
        partitioner: (m, key) =>
          assign(m, key ? murmur2(key) & 0x7fffffff : roundRobin++ & 0x7fffffff),
      });
      return producer.metadata({ topics: [] }).then(() => {});
    },
    async disconnect() {
      await producer?.close();
    },
    async send(batch, acks, compression) {
      if (!producer) throw new Error("Cannot send: the producer is not connected");
      const messages: Outgoing[] = [];
      for (const { topic, messages: list } of batch) {
        for (const m of list) {
          const out: Outgoing = {
            topic,
            key: m.key ?? undefined,
            value: m.value ?? undefined,
            ...(m.headers ? { headers: m.headers as Record<string, Bytes> } : {}),
            original: m,
          };
          if (typeof m.partition === "number") assign(out, out.partition = m.partition);
          messages.push(out);
        }
      }
      try {
        await producer.send({
          messages,
          acks: ACKS[acks],
          ...(compression !== undefined ? { compression: COMPRESSION[compression] } : {}),
        });
        return [];
      } catch (error) {
        // The library sends to each leader at once and fails the whole call when one of them
        // failed, telling which partitions were written: only the others are sent again.
        const acked = (error as { produced?: ProduceResult }).produced?.offsets ?? [];
        if (acks === 0 || acked.length === 0) throw error;
        return unacknowledged(messages, acked, (m) => partitionOf(producer, m, assigned));
      }
    },
  };
}

/** A record as handed to the library, with the one it came from. */
interface Outgoing extends MessageToProduce<Bytes, Bytes, Bytes, Bytes> {
  original: Message;
}

/** The partition the library sent `m` to, from its raw partition and the partition count. */
function partitionOf(
  producer: Producer<Bytes, Bytes, Bytes, Bytes> | undefined,
  m: Outgoing,
  assigned: WeakMap<object, number>,
): number | undefined {
  const raw = assigned.get(m);
  const count = producer?.currentMetadata?.topics.get(m.topic)?.partitionsCount;
  return raw === undefined || !count ? undefined : raw % count;
}

/** The records of `sent` whose partition is not among `acked`, per topic. */
function unacknowledged(
  sent: readonly Outgoing[],
  acked: readonly { topic: string; partition: number }[],
  partitionOf: (m: Outgoing) => number | undefined,
): Unacknowledged[] {
  const ok = new Set(acked.map((r) => `${r.topic}\u0000${r.partition}`));
  const byTopic = new Map<string, { partitions: Set<number>; messages: Message[] }>();
  for (const m of sent) {
    const p = partitionOf(m);
    // Unknown partition: send again rather than risk losing it.
    if (p !== undefined && ok.has(`${m.topic}\u0000${p}`)) continue;
    let t = byTopic.get(m.topic);
    if (!t) byTopic.set(m.topic, t = { partitions: new Set(), messages: [] });
    t.messages.push(m.original);
    if (p !== undefined) t.partitions.add(p);
  }
  return [...byTopic].map(([topic, t]) => ({
    topic,
    partitions: [...t.partitions].sort((a, b) => a - b),
    messages: t.messages,
  }));
}
