/**
 * Kafka-mode tests from outside the pipeline: a mock cluster holding every pipeline topic, the
 * embedded run a Kafka-mode run must equal, a plain kafkajs client to look at the cluster with,
 * reading a topic back, the offsets a group committed, and how many partitions an instance holds.
 * @module
 */
import { type Admin, type ConsumerConfig, Kafka, type KafkaMessage, logLevel } from "kafkajs";
import { DEFAULT_TOPICS } from "../../src/connectors/kafka/kafka_config.ts";
import type { Pipeline } from "../../src/pipeline/pipeline.ts";
import { type KafkaMock, startKafkaMock } from "./kafka_mock.ts";
import { type PollOptions, pollUntil } from "./services.ts";
import { runToEnd } from "./test_pipeline.ts";

/** A mock cluster of `brokers` (default 1) with every pipeline topic, `partitions` each. */
export function startPipelineCluster(
  o: { brokers?: number; partitions: number },
): Promise<KafkaMock> {
  return startKafkaMock({
    brokers: o.brokers ?? 1,
    topics: Object.values(DEFAULT_TOPICS).map((name) => ({ name, partitions: o.partitions })),
  });
}

/** Options of {@linkcode runEmbeddedReference}. */
export interface ReferenceRun {
  /** The replay file. */
  file: string;
  /** The SQLite file the results go to. */
  db: string;
  /** The Kafka run's partition count: windows and watermarks are per partition. */
  partitions: number;
  /** More flags (`--http=off` is given). */
  args?: readonly string[];
}

/**
 * Runs the embedded pipeline (memory bus) on a replay to its end: the uninterrupted run, with the
 * same partitioning, whose results a Kafka-mode run must equal.
 */
export function runEmbeddedReference(o: ReferenceRun): Promise<Pipeline> {
  return runToEnd([
    "--source=replay",
    `--replay-file=${o.file}`,
    `--sqlite=${o.db}`,
    `--partitions=${o.partitions}`,
    "--http=off",
    ...o.args ?? [],
  ]);
}

/**
 * A kafkajs client for `mock` with kafkajs' own defaults and no logging: the test's eyes, apart
 * from the client the pipeline builds.
 */
export function observerClient(mock: KafkaMock): Kafka {
  return new Kafka({ brokers: [...mock.brokers], logLevel: logLevel.NOTHING });
}

/** Options of {@linkcode consumeRecords}. */
export interface ConsumeOptions {
  topic: string;
  /** How many records to wait for. */
  count: number;
  /** The consumer's group and timings. */
  consumer: ConsumerConfig;
  /** Default 30 000 ms. */
  timeoutMs?: number;
}

/**
 * Reads `topic` from the beginning in a group of its own until `count` records arrived, then
 * leaves; returns what arrived (more than `count` if more came meanwhile).
 */
export async function consumeRecords(kafka: Kafka, o: ConsumeOptions): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer(o.consumer);
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        seen.push(message);
        return Promise.resolve();
      },
    });
    await pollUntil(`${o.count} records of ${o.topic}`, () => seen.length >= o.count, {
      timeoutMs: o.timeoutMs ?? 30_000,
      intervalMs: 50,
      describe: () => seen.length,
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** The offsets `group` committed on `topic` (default the ticks topic), by partition. */
export async function committedOffsets(
  admin: Admin,
  group: string,
  topic: string = DEFAULT_TOPICS.ticks,
): Promise<Map<number, number>> {
  const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]));
}

/**
 * Waits until each of `groups` has committed every record now in the ticks topic: a lag of 0 in
 * Kafka's own terms. On a timeout the error shows the last committed offsets beside the ends,
 * unless `options.describe` says otherwise.
 */
export async function waitForCommitsToTheEnd(
  admin: Admin,
  groups: readonly string[],
  options: PollOptions,
): Promise<void> {
  const ends = new Map(
    (await admin.fetchTopicOffsets(DEFAULT_TOPICS.ticks)).map((p) => [p.partition, Number(p.high)]),
  );
  for (const group of groups) {
    let committed = new Map<number, number>();
    await pollUntil(`${group} to commit everything`, async () => {
      committed = await committedOffsets(admin, group);
      // An empty partition commits nothing.
      return [...ends].every(([p, high]) => high === 0 || committed.get(p) === high);
    }, { describe: () => ({ committed: [...committed], ends: [...ends] }), ...options });
  }
}

/** How many partitions of the ticks topic `pipeline`'s process role holds, from its metrics. */
export async function assignedPartitions(pipeline: Pipeline): Promise<number> {
  const text = await pipeline.registry.metrics();
  const m = /pipeline_kafka_assigned_partitions\{group="crypto-process"\} (\d+)/.exec(text);
  return m === null ? 0 : Number(m[1]);
}
