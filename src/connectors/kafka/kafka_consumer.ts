/**
 * A consumer-group member with manual offsets: {@linkcode createKafkaConsumer} returns the one of
 * kafkajs_consumer.ts (kafkajs `eachBatch`, `autoCommit: false`) or, for a `@platformatic/kafka`
 * client, the one of platformatic_consumer.ts; both keep the rules below, their shared lifecycle
 * is group_member.ts. Both expose per-partition callbacks: assignment, revocation, batches. Offsets move only through
 * {@linkcode KafkaConsumer.commit}, called by the owner once every sink acknowledged.
 *
 * Delivery rules:
 * - `onAssigned` completes before any batch of those partitions is delivered (restore state here).
 * - A batch is delivered once per owner: when a partition stays assigned across a rebalance, kafkajs
 *   restarts it from the committed offset; records already delivered are skipped.
 * - A revoked partition is reported through `onRevoked` after the group re-formed (kafkajs has no
 *   pre-revocation hook): its uncommitted records are redelivered to the new owner, so commit as
 *   sinks acknowledge. On `stop()` every partition is revoked *before* leaving the group, so a final
 *   commit in `onRevoked` still counts.
 * - While `onBatch` is pending the member keeps heartbeating, so a slow sink does not cost its
 *   partitions. A kafkajs `CRASH` is never restarted inside kafkajs: it is reported through
 *   `onCrash` for the supervisor.
 * @module
 */
import type { KafkaMessage } from "kafkajs";
import type { FetchedBatches } from "./fetched_batches.ts";
import { isPlatformatic, type KafkaClient } from "./kafka_client.ts";
import type { Clock } from "../../clock.ts";
import type { Logger } from "../../logger.ts";
import type { Registry } from "../../telemetry/metrics.ts";
import type { KafkaConsumerCrashError } from "./errors.ts";
import { KafkajsConsumer } from "./kafkajs_consumer.ts";
import { PlatformaticConsumer } from "./platformatic_consumer.ts";

/** One partition of one topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Where to start reading a partition instead of its committed offset. */
export interface StartPosition extends TopicPartition {
  /** The first offset to deliver. */
  readonly offset: string;
  /** The partition's committed offset, when the owner read it (the committed-lag gauge's base). */
  readonly committed?: string;
}

/** What the owner of a consumer is told. */
export interface KafkaConsumerHandlers {
  /**
   * Newly assigned partitions; batches for them wait until this settles. It may resolve with
   * start positions for some of them: those partitions are read from there (earlier or later
   * than their committed offset) instead.
   */
  onAssigned?(
    partitions: TopicPartition[],
  ): void | readonly StartPosition[] | Promise<void | readonly StartPosition[]>;
  /** Partitions no longer owned (rebalance, stop, crash). Commits for them are refused afterwards. */
  onRevoked?(partitions: TopicPartition[]): void | Promise<void>;
  /**
   * Records of one partition, in offset order. The returned promise is the backpressure: the next
   * batch of any partition handled by this worker waits for it (heartbeats continue meanwhile).
   * A rejection makes kafkajs redeliver the batch after a backoff, then crash.
   */
  onBatch(
    topic: string,
    partition: number,
    messages: KafkaMessage[],
    highWatermark: string,
  ): void | Promise<void>;
  /**
   * The same as `onBatch`, for an owner that reads records straight from their bytes: when given,
   * the `@platformatic/kafka` consumer hands each partition's fetched record batches undecoded
   * (fetched_batches.ts) here instead of calling `onBatch` (kafkajs always calls `onBatch`).
   */
  onBatches?(
    topic: string,
    partition: number,
    batches: FetchedBatches,
    highWatermark: string,
  ): void | Promise<void>;
  /** The kafkajs consumer crashed and stopped; `error.retriable` says whether a restart may help. */
  onCrash?(error: KafkaConsumerCrashError): void;
}

/** Options of {@linkcode createKafkaConsumer}. */
export interface KafkaConsumerOptions {
  kafka: KafkaClient;
  groupId: string;
  topics: readonly string[];
  handlers: KafkaConsumerHandlers;
  /** Where a group with no committed offset starts. Default true (the whole retained log). */
  fromBeginning?: boolean;
  /** Default 10 000 ms. The librdkafka mock needs ≥ 4000. */
  sessionTimeout?: number;
  /** How long the coordinator waits for members to rejoin. Default 20 000 ms. */
  rebalanceTimeout?: number;
  /** Default a third of `sessionTimeout`. */
  heartbeatInterval?: number;
  /** Longest a fetch waits for data. Default 500 ms (also bounds how fast `stop()` returns). */
  maxWaitTimeInMs?: number;
  /** Default 1 MiB (kafkajs' default). */
  maxBytesPerPartition?: number;
  /** Batches handled at once, across partitions. Default 4. */
  partitionsConsumedConcurrently?: number;
  /**
   * kafkajs retries of a failing fetch or `onBatch` before it crashes. Default: the client's
   * (8 with exponential backoff, about a minute in all).
   */
  retries?: number;
  registry?: Registry;
  logger?: Logger;
  clock?: Clock;
}

/** A running consumer-group member. */
export interface KafkaConsumer {
  /** Connects, subscribes and starts consuming (the group join completes later). Idempotent. */
  start(): Promise<void>;
  /** Finishes in-flight batches, revokes everything (`onRevoked`), leaves the group. Idempotent. */
  stop(): Promise<void>;
  /** Stops fetching `topic`/`partition` until {@linkcode KafkaConsumer.resume}. */
  pause(topic: string, partition: number): void;
  resume(topic: string, partition: number): void;
  /**
   * Commits `offset` = the next offset to read (last processed + 1). Resolves false, committing
   * nothing, when the partition is not assigned to this member or the group is rebalancing (the
   * next owner replays from the last successful commit; commit again later if still owned).
   * @throws {KafkaCommitError} when the broker refused.
   */
  commit(
    topic: string,
    partition: number,
    offset: number | bigint | string,
    metadata?: string,
  ): Promise<boolean>;
  /** Partitions owned now. */
  assignment(): TopicPartition[];
  /** Partitions paused now. */
  paused(): TopicPartition[];
  /** `new` → `running` → `stopping` → `stopped`, or `crashed`. */
  readonly state: ConsumerState;
}

/** Lifecycle of a {@linkcode KafkaConsumer}. */
export type ConsumerState = "new" | "running" | "stopping" | "stopped" | "crashed";

/**
 * Creates a consumer-group member.
 *
 * @example
 * ```ts ignore
 * const consumer = createKafkaConsumer({
 *   kafka, groupId: "process", topics: ["crypto.ticks"],
 *   handlers: { onBatch: (topic, partition, messages) => reader(partition).push(messages) },
 * });
 * await consumer.start();
 * ```
 */
export function createKafkaConsumer(options: KafkaConsumerOptions): KafkaConsumer {
  const { kafka } = options;
  if (isPlatformatic(kafka)) return new PlatformaticConsumer(options, kafka);
  return new KafkajsConsumer({ ...options, kafka });
}
