/**
 * The kafkajs side of the batching producer: `sendBatch` with the Java-compatible murmur2
 * partitioner, and a check of the acknowledgements against the partitions kafkajs assigned.
 * @module
 */
import type { Kafka, Message, RecordMetadata } from "kafkajs";
import type { BatchSender, TopicMessages, Unacknowledged } from "./batch_sender.ts";
import { createKeyCachingPartitioner } from "./key_partitioner.ts";

/** A {@linkcode BatchSender} over a kafkajs producer of `kafka`. */
export function kafkajsSender(kafka: Kafka): BatchSender {
  /** The partition kafkajs assigned to each message in flight (see `unacknowledged`). */
  const assigned = new WeakMap<object, number>();
  // The Java-compatible murmur2 partitioner: the same key → partition mapping as the memory bus
  // (murmur2.ts) and every other Kafka client, with each key's hash remembered.
  const producer = kafka.producer({
    allowAutoTopicCreation: true,
    createPartitioner: createKeyCachingPartitioner((m, p) => assigned.set(m, p)),
  });
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async send(batch, acks, compression) {
      const topicMessages = batch.map(({ topic, messages }) => ({ topic, messages }));
      const acked = await producer.sendBatch({
        topicMessages,
        acks,
        ...(compression !== undefined ? { compression } : {}),
      });
      return acks === 0 ? [] : unacknowledged(batch, acked, assigned);
    },
  };
}

/**
 * The messages whose partition no acknowledgement covers. kafkajs 2.2.4 keeps the responses of a
 * retried `sendBatch` per broker: when a partition's leader moves to a broker that already
 * answered for other partitions, that partition's messages are never sent, yet the call
 * resolves (kafkajs issue #1303, PR #1798). Checking the acknowledgements against the partitions
 * kafkajs assigned catches it, and those messages are sent again — no duplicate, since they
 * were never written.
 */
function unacknowledged(
  sent: readonly TopicMessages[],
  acked: readonly RecordMetadata[],
  assigned: WeakMap<object, number>,
): Unacknowledged[] {
  const ok = new Set(acked.map((r) => `${r.topicName}\u0000${r.partition}`));
  const out: Unacknowledged[] = [];
  for (const { topic, messages } of sent) {
    const lost: Message[] = [];
    const partitions = new Set<number>();
    for (const m of messages) {
      const p = assigned.get(m);
      if (p === undefined || ok.has(`${topic}\u0000${p}`)) continue;
      lost.push(m);
      partitions.add(p);
    }
    if (lost.length) out.push({ topic, partitions: [...partitions].sort(), messages: lost });
  }
  return out;
}
