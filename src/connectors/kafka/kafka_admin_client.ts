/**
 * The few admin requests the pipeline makes (topic listing and creation, partition counts, a
 * group's committed offsets with their metadata), over either client library.
 * @module
 */
import type { Kafka } from "kafkajs";
import { isPlatformatic, type KafkaClient } from "./kafka_client.ts";
import type { PlatformaticKafka } from "./platformatic_client.ts";
import { platformatic } from "./platformatic_module.ts";

/** A topic to create. */
export interface NewTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor?: number;
}

/** One partition's committed offset (`-1`: none) and metadata. */
export interface CommittedOffset {
  readonly partition: number;
  readonly offset: string;
  readonly metadata: string | null;
}

/** An open admin connection; `close()` when done. */
export interface AdminClient {
  listTopics(): Promise<string[]>;
  createTopics(topics: readonly NewTopic[]): Promise<void>;
  /** Partition ids of each topic asked for that exists. */
  partitions(topics: readonly string[]): Promise<Map<string, number[]>>;
  committed(groupId: string, topic: string): Promise<CommittedOffset[]>;
  close(): Promise<void>;
}

/** Connects an admin client. `retries`: per request (default: the client's). */
export async function openAdmin(client: KafkaClient, retries?: number): Promise<AdminClient> {
  return isPlatformatic(client)
    ? platformaticAdmin(client, retries)
    : await kafkajsAdmin(client, retries);
}

async function kafkajsAdmin(kafka: Kafka, retries?: number): Promise<AdminClient> {
  const admin = kafka.admin(
    retries === undefined ? undefined : { retry: { retries, initialRetryTime: 200 } },
  );
  await admin.connect();
  return {
    listTopics: () => admin.listTopics(),
    async createTopics(topics) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          replicationFactor: s.replicationFactor ?? 1,
        })),
      });
    },
    async partitions(topics) {
      const meta = await admin.fetchTopicMetadata({ topics: [...topics] });
      return new Map(meta.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionId)]));
    },
    async committed(groupId, topic) {
      const out: CommittedOffset[] = [];
      for (const t of await admin.fetchOffsets({ groupId, topics: [topic] })) {
        for (const p of t.partitions) {
          out.push({ partition: p.partition, offset: p.offset, metadata: p.metadata });
        }
      }
      return out;
    },
    close: () => admin.disconnect(),
  };
}

function platformaticAdmin(client: PlatformaticKafka, retries?: number): AdminClient {
  const admin = new (platformatic().Admin)({
    ...client.options("admin"),
    ...(retries === undefined ? {} : { retries }),
  });
  return {
    listTopics: () => admin.listTopics(),
    async createTopics(topics) {
      for (const t of topics) {
        await admin.createTopics({
          topics: [t.name],
          partitions: t.partitions,
          replicas: t.replicationFactor ?? 1,
        });
      }
    },
    async partitions(topics) {
      const meta = await admin.metadata({ topics: [...topics] });
      const out = new Map<string, number[]>();
      for (const [name, t] of meta.topics) {
        out.set(name, Array.from({ length: t.partitionsCount }, (_, i) => i));
      }
      return out;
    },
    async committed(groupId, topic) {
      const meta = await admin.metadata({ topics: [topic] });
      const count = meta.topics.get(topic)?.partitionsCount ?? 0;
      const partitionIndexes = Array.from({ length: count }, (_, i) => i);
      const groups = await admin.listConsumerGroupOffsets({
        groups: [{ groupId, topics: [{ name: topic, partitionIndexes }] }],
      });
      const out: CommittedOffset[] = [];
      for (const g of groups) {
        for (const t of g.topics) {
          if (t.name !== topic) continue;
          for (const p of t.partitions) {
            out.push({
              partition: p.partitionIndex,
              offset: String(p.committedOffset),
              metadata: p.metadata ?? null,
            });
          }
        }
      }
      return out;
    },
    close: () => admin.close(),
  };
}
