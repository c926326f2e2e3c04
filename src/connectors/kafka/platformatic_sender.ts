/**
 * The `@platformatic/kafka` side of the batching producer: one `send()` of every topic's records,
 * keys partitioned with the Java-compatible murmur2 (the same mapping as kafkajs, the memory bus
 * and other clients), keyless records round robin unless they name their partition.
 * @module
 */
import { Buffer } from "node:buffer";
import type {
  CompressionAlgorithmValue,
  MessageToProduce,
  Producer,
  ProduceResult,
} from "@platformatic/kafka";
import { CompressionTypes, type Message } from "kafkajs";
import type { BatchSender, Unacknowledged } from "./batch_sender.ts";
import { murmur2 } from "./murmur2.ts";
import type { PlatformaticKafka } from "./platformatic_client.ts";
import { platformatic } from "./platformatic_module.ts";

type Bytes = Buffer | string;

/** Strings as UTF-8, Buffers as they are, null/undefined as absent. */
const toBuffer = (data?: Bytes | null) =>
  data === undefined || data === null
    ? undefined
    : typeof data === "string"
    ? Buffer.from(data)
    : data;

/** kafkajs' compression codes → the library's (read from the module, which loads lazily). */
function compressionOf(code: number): CompressionAlgorithmValue {
  const { CompressionAlgorithms: c } = platformatic();
  const map: Record<number, CompressionAlgorithmValue> = {
    [CompressionTypes.None]: c.NONE,
    [CompressionTypes.GZIP]: c.GZIP,
    [CompressionTypes.Snappy]: c.SNAPPY,
    [CompressionTypes.LZ4]: c.LZ4,
    [CompressionTypes.ZSTD]: c.ZSTD,
  };
  return map[code];
}

/** kafkajs' acks (-1, 0, 1) → the library's. */
function acksOf(acks: -1 | 0 | 1) {
  const { ProduceAcks: a } = platformatic();
  return { [-1]: a.ALL, 0: a.NO_RESPONSE, 1: a.LEADER }[acks];
}

/** A {@linkcode BatchSender} over a `@platformatic/kafka` producer. */
export function platformaticSender(client: PlatformaticKafka): BatchSender {
  let roundRobin = 0;
  let producer: Producer<Bytes, Bytes, Bytes, Bytes> | undefined;
  /** The partition (before the library's modulo) of each record in flight. */
  const assigned = new WeakMap<object, number>();
  const assign = (m: object, p: number) => (assigned.set(m, p), p);
  return {
    connect() {
      const { Producer, serializersFrom } = platformatic();
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
          acks: acksOf(acks),
          ...(compression !== undefined ? { compression: compressionOf(compression) } : {}),
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
