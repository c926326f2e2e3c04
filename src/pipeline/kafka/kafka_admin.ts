/**
 * The few Kafka admin look-ups the roles need.
 * @module
 */
import type { Kafka } from "kafkajs";

/** Committed offsets' metadata of a group: partition → max event time before the commit. */
export async function committedMetadata(kafka: Kafka, groupId: string, topic: string) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<number, number>();
    for (const t of await admin.fetchOffsets({ groupId, topics: [topic] })) {
      for (const p of t.partitions) {
        if (!p.metadata) continue;
        try {
          const meta = JSON.parse(p.metadata) as { maxTs?: number | null };
          if (typeof meta.maxTs === "number") out.set(p.partition, meta.maxTs);
        } catch {
          // Not ours (another tool committed): start without a restored watermark.
        }
      }
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

export async function topicPartitions(kafka: Kafka, topic: string): Promise<number[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0].partitions.map((p) => p.partitionId).sort((a, b) => a - b);
  } finally {
    await admin.disconnect();
  }
}
