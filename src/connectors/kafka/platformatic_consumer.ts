/**
 * The {@linkcode KafkaConsumer} over `@platformatic/kafka`, with the same delivery rules as the
 * kafkajs one (kafka_consumer.ts). The library's `Consumer` keeps the group membership (join,
 * sync, heartbeats on their own timer, rejoin on a rebalance); the fetching is ours, through its
 * `fetch()`, because its `MessagesStream` has no per-partition pause, no seek and no batches:
 * - one fetch per leader at a time, of the owned, ready, unpaused partitions; each partition's
 *   records are handed over as one batch, and the next fetch waits for every `onBatch`;
 * - a new partition is fetched only once `onAssigned` settled, from the start position it
 *   returned, else the committed offset, else the earliest (or latest) offset;
 * - a rebalance reported by the library revokes at once (commits refused from then on) and
 *   `onRevoked` runs in order with assignments; records fetched for a revoked partition are
 *   dropped;
 * - fetch failures are retried with backoff; after `retries` in a row the consumer crashes.
 * The lifecycle and assignment bookkeeping are group_member.ts (shared with kafkajs), positions
 * platformatic_positions.ts, fetch rounds platformatic_fetch.ts, commits platformatic_commits.ts.
 * @module
 */
import type { ConnectionPool, Consumer } from "@platformatic/kafka";
import type { FetchedBatches } from "./fetched_batches.ts";
import type { FetchedPartition } from "./platformatic_records.ts";
import { rawFetchPool } from "./raw_fetch_pool.ts";
import { type Clock, systemClock } from "../../clock.ts";
import { type Logger, silentLogger } from "../../logger.ts";
import { type ConsumerMetrics, consumerMetrics } from "./consumer_metrics.ts";
import { offsetOf } from "./fetched_message.ts";
import { GroupMember, keyOf } from "./group_member.ts";
import type { PlatformaticKafka } from "./platformatic_client.ts";
import { platformatic } from "./platformatic_module.ts";
import type {
  ConsumerState,
  KafkaConsumer,
  KafkaConsumerOptions,
  TopicPartition,
} from "./kafka_consumer.ts";
import { PlatformaticCommits } from "./platformatic_commits.ts";
import {
  answeredWithin,
  FetchFailed,
  fetchRound,
  type PartitionFetch,
} from "./platformatic_fetch.ts";
import { outOfRangeReset, type Owned, positionPartitions } from "./platformatic_positions.ts";

/**
 * Longest a fetch (with the library's retries inside) may go unanswered before the consumer
 * crashes: kafkajs gives up after about a minute of retries; so does this, sooner, since nothing
 * can be delivered meanwhile.
 */
const FETCH_DEADLINE_MS = 40_000;

/** Attempts to join the group at start before `start()` fails. */
const JOIN_ATTEMPTS = 5;

export class PlatformaticConsumer implements KafkaConsumer {
  #o: KafkaConsumerOptions;
  #client: PlatformaticKafka;
  #log: Logger;
  #clock: Clock;
  #metrics: ConsumerMetrics | undefined;
  #member: GroupMember<Owned>;
  #consumer: Consumer | undefined;
  /** The fetch connections when the owner takes batches as bytes (`onBatches`). */
  #rawPool: ConnectionPool | undefined;
  #commits: PlatformaticCommits | undefined;
  #loop: Promise<void> | undefined;
  #wake: PromiseWithResolvers<void> | undefined;
  #abort = new AbortController();

  constructor(o: KafkaConsumerOptions, client: PlatformaticKafka) {
    this.#o = o;
    this.#client = client;
    this.#log = (o.logger ?? silentLogger).child("kafka_consumer");
    this.#clock = o.clock ?? systemClock;
    this.#metrics = o.registry && consumerMetrics(o.registry, o.groupId);
    this.#member = new GroupMember({
      groupId: o.groupId,
      handlers: o.handlers,
      log: this.#log,
      metrics: this.#metrics,
    }, {
      open: () => this.#open(),
      quiesce: () => this.#quiesce(),
      close: (wasRunning) => this.#close(wasRunning),
      own: (tp) => ({ ...tp }),
      position: async (added, starts) => {
        const consumer = this.#consumer;
        if (consumer) {
          await positionPartitions(consumer, added, starts, {
            owned: (key) => this.#member.owned(key),
            fromBeginning: o.fromBeginning ?? true,
            committed: (key, offset) => this.#commits?.setCommitted(key, offset),
          });
        }
        this.#wakeUp();
      },
      revoking: (key) => this.#commits?.forget(key),
      revoked: (key) => this.#commits?.forget(key),
      // The fetch loop reads the paused set before each round: a resume only has to wake it.
      setPaused: (_tp, paused) => {
        if (!paused) this.#wakeUp();
      },
      halt: () => {
        this.#abort.abort();
        this.#wakeUp();
      },
    });
  }

  get state(): ConsumerState {
    return this.#member.state;
  }

  start(): Promise<void> {
    return this.#member.start();
  }

  stop(): Promise<void> {
    return this.#member.stop();
  }

  async #open(): Promise<void> {
    const o = this.#o;
    const sessionTimeout = o.sessionTimeout ?? 10_000;
    const { Admin, Consumer } = platformatic();
    const consumer = this.#consumer = new Consumer({
      ...this.#client.options("consumer"),
      groupId: o.groupId,
      sessionTimeout,
      rebalanceTimeout: o.rebalanceTimeout ?? 20_000,
      heartbeatInterval: o.heartbeatInterval ?? Math.floor(sessionTimeout / 3),
      autocommit: false,
      autocreateTopics: false,
    });
    if (o.handlers.onBatches) {
      const options = this.#client.options("fetch");
      this.#rawPool = rawFetchPool(options.clientId, options);
    }
    this.#commits = new PlatformaticCommits(consumer, {
      isOwned: (key) => this.#member.owned(key) !== undefined,
      via: new Admin(this.#client.options("commits")),
      timeoutMs: this.#client.base.requestTimeout ?? 30_000,
      metrics: this.#metrics,
      log: this.#log,
      clock: this.#clock,
    });
    consumer.on("consumer:group:join", (e) => {
      const owned: TopicPartition[] = [];
      for (const { topic, partitions } of e.assignments ?? []) {
        for (const partition of partitions) owned.push({ topic, partition });
      }
      this.#member.joined(owned);
    });
    consumer.on("consumer:group:rebalance", () => {
      this.#log.info("group rebalancing", { group: o.groupId });
    });
    // A failed rejoin leaves the member without heartbeats: it is out of the group.
    consumer.on("error", (error: Error) => this.#crashed(error));
    this.#abort = new AbortController();
    consumer.topics.trackAll(...o.topics);
    await this.#join(consumer);
    this.#loop = this.#run(consumer);
  }

  /**
   * Joins the group, again after a failure: members joining at once can see a SyncGroup refused
   * (the librdkafka mock answers INVALID_REQUEST to a SyncGroup once the group is up) or a
   * JoinGroup held by the coordinator beyond the request timeout.
   */
  async #join(consumer: Consumer): Promise<void> {
    for (let attempt = 1;; attempt++) {
      try {
        await consumer.joinGroup({});
        return;
      } catch (error) {
        if (attempt >= JOIN_ATTEMPTS || this.#member.state !== "running") throw error;
        this.#log.warn("group join failed, joining again", { attempt, error });
        await this.#clock.sleep(250 * attempt, this.#abort.signal);
      }
    }
  }

  /** Ends the fetch loop; the round in flight settles first. */
  async #quiesce(): Promise<void> {
    this.#abort.abort();
    this.#wakeUp();
    await this.#loop?.catch(() => {});
  }

  async #close(wasRunning: boolean): Promise<void> {
    const consumer = this.#consumer;
    try {
      // Errors ignored: the coordinator expires a member that could not say goodbye.
      if (wasRunning && consumer) {
        await new Promise<void>((resolve) => consumer.leaveGroup(false, () => resolve()));
      }
      await consumer?.close(true);
    } finally {
      this.#consumer = undefined;
      await this.#rawPool?.close().catch(() => {});
      this.#rawPool = undefined;
      await this.#commits?.close();
      this.#commits = undefined;
      this.#loop = undefined;
    }
  }

  pause(topic: string, partition: number): void {
    this.#member.pause(topic, partition);
  }

  resume(topic: string, partition: number): void {
    this.#member.resume(topic, partition);
  }

  commit(
    topic: string,
    partition: number,
    offset: number | bigint | string,
    metadata?: string,
  ): Promise<boolean> {
    const key = keyOf(topic, partition);
    if (!this.#member.owned(key) || !this.#commits) return Promise.resolve(false);
    return this.#commits.commit({ topic, partition, offset: String(offset), metadata }, key);
  }

  assignment(): TopicPartition[] {
    return this.#member.assignment();
  }

  paused(): TopicPartition[] {
    return this.#member.paused();
  }

  #wakeUp(): void {
    this.#wake?.resolve();
    this.#wake = undefined;
  }

  #crashed(cause: unknown): void {
    if (this.#member.state === "running") this.#member.crashed(cause);
  }

  /**
   * Fetch rounds until stopped. A fetch the library gave up on (after its own retries, about 40 s
   * with the defaults) crashes the consumer at once; a failing `onBatch` is redelivered with
   * backoff and crashes after `retries` failures in a row.
   */
  async #run(consumer: Consumer): Promise<void> {
    const retries = this.#o.retries ?? 8;
    let failures = 0;
    while (this.#member.state === "running") {
      const wanted = this.#wanted();
      if (wanted.length === 0) {
        this.#wake ??= Promise.withResolvers<void>();
        await this.#wake.promise;
        continue;
      }
      try {
        await fetchRound(consumer, wanted, {
          maxWaitTime: this.#o.maxWaitTimeInMs ?? 500,
          maxBytesPerPartition: this.#o.maxBytesPerPartition ?? 1_048_576,
          rawPool: this.#rawPool,
          deliver: (f, fetched, hw) => this.#deliver(f, fetched, hw),
          outOfRange: (f, logStart, hw) => this.#outOfRange(f, logStart, hw),
          within: (request) =>
            answeredWithin(request, FETCH_DEADLINE_MS, this.#clock, this.#abort.signal),
        });
        failures = 0;
      } catch (error) {
        if (this.#member.state !== "running") return;
        this.#metrics?.error(error instanceof FetchFailed ? "fetch" : "handler");
        if (error instanceof FetchFailed) return this.#crashed(error.cause);
        if (++failures > retries) return this.#crashed(error);
        const delay = Math.min(10_000, 300 * 2 ** (failures - 1));
        this.#log.warn("batch failed, redelivering", { attempt: failures, delayMs: delay, error });
        consumer.clearMetadata();
        await this.#clock.sleep(delay, this.#abort.signal).catch(() => {});
      }
    }
  }

  /** Owned partitions with a known position, not paused, once the assignment callbacks settled. */
  #wanted(): PartitionFetch[] {
    const out: PartitionFetch[] = [];
    for (const [key, owned] of this.#member.entries()) {
      if (owned.next === undefined || this.#member.isPaused(key)) continue;
      out.push({ key, topic: owned.topic, partition: owned.partition, offset: owned.next });
    }
    return out;
  }

  /** A position outside the log moves to its start or end, as `fromBeginning` says. */
  #outOfRange(f: PartitionFetch, logStart: bigint, highWatermark: bigint): void {
    const owned = this.#member.owned(f.key);
    if (owned?.next !== f.offset) return;
    const to = outOfRangeReset(owned, logStart, highWatermark, this.#o.fromBeginning ?? true);
    this.#metrics?.offsetReset(f.topic);
    this.#log.warn("offset out of range, reset", {
      topic: f.topic,
      partition: f.partition,
      offset: String(f.offset),
      to,
    });
  }

  /**
   * Hands one partition's records to `onBatch` (or `onBatches`) unless it changed hands or paused
   * meanwhile.
   */
  async #deliver(
    f: PartitionFetch,
    fetched: FetchedPartition | FetchedBatches,
    highWatermark: bigint,
  ): Promise<void> {
    await this.#member.ready;
    const owned = this.#member.owned(f.key);
    // Revoked, moved by a seek, or paused since the fetch was sent: fetched again when due.
    if (
      this.#member.state !== "running" || owned?.next !== f.offset || this.#member.isPaused(f.key)
    ) {
      return;
    }
    const hw = Number(highWatermark);
    const latest = owned.reset === "latest";
    owned.reset = undefined;
    const { count, first, last } = latest ? { count: 0, first: -1, last: -1 } : span(fetched);
    const next = latest ? highWatermark : fetched.next;
    if (count === 0) {
      owned.next = next;
      this.#metrics?.processingLag(f.topic, f.partition, Math.max(0, hw - Number(next)));
      return;
    }
    const committed = this.#commits!.observe(f.key, first, hw);
    this.#metrics?.consumed(f.topic, count);
    this.#metrics?.lag(f.topic, f.partition, hw - committed);
    const handlers = this.#o.handlers;
    if ("segments" in fetched) {
      await handlers.onBatches!(f.topic, f.partition, fetched, String(highWatermark));
    } else {
      await handlers.onBatch(f.topic, f.partition, fetched.messages, String(highWatermark));
    }
    owned.next = next;
    this.#metrics?.processingLag(f.topic, f.partition, Math.max(0, hw - last - 1));
  }
}

/** How many records were fetched, and the first and last offsets. */
function span(fetched: FetchedPartition | FetchedBatches) {
  if ("segments" in fetched) return fetched;
  const { messages } = fetched;
  const n = messages.length;
  return {
    count: n,
    first: n ? offsetOf(messages[0]) : -1,
    last: n ? offsetOf(messages[n - 1]) : -1,
  };
}
