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
 * Commits carry metadata through platformatic_commit.ts.
 * @module
 */
import type { Consumer } from "@platformatic/kafka";
import { type Clock, systemClock } from "../../clock.ts";
import { type Logger, silentLogger } from "../../logger.ts";
import { type ConsumerMetrics, consumerMetrics } from "./consumer_metrics.ts";
import { KafkaConsumerCrashError } from "./errors.ts";
import type { PlatformaticKafka } from "./platformatic_client.ts";
import { platformatic } from "./platformatic_module.ts";
import type {
  ConsumerState,
  KafkaConsumer,
  KafkaConsumerHandlers,
  KafkaConsumerOptions,
  TopicPartition,
} from "./kafka_consumer.ts";
import { PlatformaticCommits } from "./platformatic_commits.ts";
import { FetchFailed, fetchRound, type PartitionFetch } from "./platformatic_fetch.ts";

/**
 * Longest a fetch (with the library's retries inside) may go unanswered before the consumer
 * crashes: kafkajs gives up after about a minute of retries; so does this, sooner, since nothing
 * can be delivered meanwhile.
 */
const FETCH_DEADLINE_MS = 40_000;

/** Attempts to join the group at start before `start()` fails. */
const JOIN_ATTEMPTS = 5;

const keyOf = (topic: string, partition: number) => `${topic}|${partition}`;

/**
 * An owned partition. `next` is unset until `onAssigned` settled and the start is known; `reset`
 * marks a partition with no committed offset, read from 0 until the first fetch tells the log's
 * bounds (the librdkafka mock answers ListOffsets for several partitions in a form the library
 * misreads, so the first fetch answers instead).
 */
interface Owned extends TopicPartition {
  next?: bigint;
  reset?: "earliest" | "latest";
}

export class PlatformaticConsumer implements KafkaConsumer {
  #o: KafkaConsumerOptions;
  #client: PlatformaticKafka;
  #h: KafkaConsumerHandlers;
  #log: Logger;
  #clock: Clock;
  #metrics: ConsumerMetrics | undefined;
  #consumer: Consumer | undefined;
  #commits: PlatformaticCommits | undefined;
  #state: ConsumerState = "new";
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  #wake: PromiseWithResolvers<void> | undefined;
  #abort = new AbortController();

  #assigned = new Map<string, Owned>();
  #pausedSet = new Map<string, TopicPartition>();
  #ready: Promise<void> = Promise.resolve();

  constructor(o: KafkaConsumerOptions, client: PlatformaticKafka) {
    this.#o = o;
    this.#client = client;
    this.#h = o.handlers;
    this.#log = (o.logger ?? silentLogger).child("kafka_consumer");
    this.#clock = o.clock ?? systemClock;
    this.#metrics = o.registry && consumerMetrics(o.registry, o.groupId);
  }

  get state(): ConsumerState {
    return this.#state;
  }

  start(): Promise<void> {
    if (this.#starting && (this.#state === "running" || this.#state === "stopping")) {
      return this.#starting;
    }
    const previous = this.#state;
    this.#starting = (async () => {
      if (previous === "crashed") await this.#stop();
      this.#stopping = undefined;
      try {
        await this.#start();
      } catch (error) {
        await this.#stop().catch(() => {});
        throw error;
      }
    })();
    return this.#starting;
  }

  async #start(): Promise<void> {
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
    this.#commits = new PlatformaticCommits(consumer, {
      isOwned: (key) => this.#assigned.has(key),
      via: new Admin(this.#client.options("commits")),
      timeoutMs: this.#client.base.requestTimeout ?? 30_000,
      metrics: this.#metrics,
      log: this.#log,
      clock: this.#clock,
    });
    consumer.on("consumer:group:join", (e) => this.#onJoin(e.assignments ?? []));
    consumer.on("consumer:group:rebalance", () => {
      this.#log.info("group rebalancing", { group: o.groupId });
    });
    // A failed rejoin leaves the member without heartbeats: it is out of the group.
    consumer.on("error", (error: Error) => this.#onCrash(error));
    this.#state = "running";
    this.#abort = new AbortController();
    this.#ready = Promise.resolve();
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
        if (attempt >= JOIN_ATTEMPTS || this.#state !== "running") throw error;
        this.#log.warn("group join failed, joining again", { attempt, error });
        await this.#clock.sleep(250 * attempt, this.#abort.signal);
      }
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#starting?.catch(() => {});
      await this.#stop();
    })();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#state === "new" || this.#state === "stopped") {
      this.#state = "stopped";
      return;
    }
    const wasRunning = this.#state === "running";
    this.#state = "stopping";
    this.#abort.abort();
    this.#wakeUp();
    await this.#loop?.catch(() => {});
    await this.#ready.catch(() => {});
    if (wasRunning) await this.#revoke([...this.#assigned.values()]);
    const consumer = this.#consumer;
    try {
      // Errors ignored: the coordinator expires a member that could not say goodbye.
      if (wasRunning && consumer) {
        await new Promise<void>((resolve) => consumer.leaveGroup(false, () => resolve()));
      }
      await consumer?.close(true);
    } finally {
      this.#consumer = undefined;
      await this.#commits?.close();
      this.#commits = undefined;
      this.#loop = undefined;
      this.#pausedSet.clear();
      this.#metrics?.paused(0);
      this.#state = "stopped";
    }
  }

  pause(topic: string, partition: number): void {
    this.#pausedSet.set(keyOf(topic, partition), { topic, partition });
    this.#metrics?.paused(this.#pausedSet.size);
  }

  resume(topic: string, partition: number): void {
    this.#pausedSet.delete(keyOf(topic, partition));
    this.#metrics?.paused(this.#pausedSet.size);
    this.#wakeUp();
  }

  commit(
    topic: string,
    partition: number,
    offset: number | bigint | string,
    metadata?: string,
  ): Promise<boolean> {
    const key = keyOf(topic, partition);
    if (!this.#assigned.has(key) || !this.#commits) return Promise.resolve(false);
    return this.#commits.commit({ topic, partition, offset: String(offset), metadata }, key);
  }

  assignment(): TopicPartition[] {
    return [...this.#assigned.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  paused(): TopicPartition[] {
    return [...this.#pausedSet.values()];
  }

  #wakeUp(): void {
    this.#wake?.resolve();
    this.#wake = undefined;
  }

  #onJoin(assignments: readonly { topic: string; partitions: number[] }[]): void {
    const next = new Map<string, TopicPartition>();
    for (const { topic, partitions } of assignments) {
      for (const partition of partitions) next.set(keyOf(topic, partition), { topic, partition });
    }
    const revoked = [...this.#assigned].filter(([k]) => !next.has(k)).map(([, tp]) => tp);
    const added = [...next].filter(([k]) => !this.#assigned.has(k)).map(([, tp]) => tp);
    this.#metrics?.rebalance();
    this.#log.info("joined group", {
      group: this.#o.groupId,
      assigned: next.size,
      added: added.length,
      revoked: revoked.length,
    });
    // Revoked partitions stop accepting commits and deliveries now; the callbacks run in order.
    for (const tp of revoked) this.#assigned.delete(keyOf(tp.topic, tp.partition));
    this.#ready = this.#ready.then(async () => {
      await this.#revoke(revoked);
      for (const tp of added) this.#assigned.set(keyOf(tp.topic, tp.partition), { ...tp });
      this.#metrics?.assigned(this.#assigned.size);
      if (added.length === 0) return;
      const starts = await this.#h.onAssigned?.(added);
      await this.#position(added, starts ?? []);
      this.#wakeUp();
    });
    this.#ready.catch((error) => {
      this.#metrics?.error("handler");
      this.#log.error("assignment callback failed", { error });
    });
  }

  /** Sets where each of `added` is read from: its start position, else committed, else reset. */
  async #position(
    added: TopicPartition[],
    starts: readonly { topic: string; partition: number; offset: string; committed?: string }[],
  ): Promise<void> {
    const consumer = this.#consumer;
    if (!consumer) return;
    const chosen = new Map(starts.map((s) => [keyOf(s.topic, s.partition), s]));
    const rest = added.filter((tp) => !chosen.has(keyOf(tp.topic, tp.partition)));
    const committed = rest.length ? await this.#committedOffsets(consumer, rest) : new Map();
    for (const tp of added) {
      const key = keyOf(tp.topic, tp.partition);
      const owned = this.#assigned.get(key);
      if (!owned) continue;
      const start = chosen.get(key);
      owned.next = start ? BigInt(start.offset) : committed.get(key);
      if (start?.committed !== undefined) this.#commits?.setCommitted(key, Number(start.committed));
      if (owned.next === undefined) {
        owned.next = 0n;
        owned.reset = this.#o.fromBeginning ?? true ? "earliest" : "latest";
      }
    }
  }

  /** Committed offsets of `tps`; absent for a partition that has none. */
  async #committedOffsets(
    consumer: Consumer,
    tps: TopicPartition[],
  ): Promise<Map<string, bigint>> {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of tps) {
      byTopic.set(topic, [...byTopic.get(topic) ?? [], partition]);
    }
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    const committed = await consumer.listCommittedOffsets({ topics });
    const out = new Map<string, bigint>();
    for (const { topic, partition } of tps) {
      const offset = committed.get(topic)?.[partition];
      if (offset !== undefined && offset >= 0n) out.set(keyOf(topic, partition), offset);
    }
    return out;
  }

  async #revoke(partitions: TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return;
    for (const { topic, partition } of partitions) {
      const key = keyOf(topic, partition);
      this.#commits?.forget(key);
      this.#metrics?.forgetPartition(topic, partition);
      this.#pausedSet.delete(key);
    }
    try {
      await this.#h.onRevoked?.(partitions);
    } finally {
      for (const { topic, partition } of partitions) {
        this.#assigned.delete(keyOf(topic, partition));
        this.#commits?.forget(keyOf(topic, partition));
      }
      this.#metrics?.assigned(this.#assigned.size);
      this.#metrics?.paused(this.#pausedSet.size);
    }
  }

  #onCrash(cause: unknown): void {
    if (this.#state !== "running") return;
    const error = new KafkaConsumerCrashError(this.#o.groupId, { cause });
    this.#metrics?.error("crash");
    this.#log.error("consumer crashed", {
      group: this.#o.groupId,
      error,
      retriable: error.retriable,
    });
    this.#state = "crashed";
    this.#abort.abort();
    this.#wakeUp();
    const all = [...this.#assigned.values()];
    this.#ready = this.#ready.catch(() => {}).then(() => this.#revoke(all)).catch(() => {});
    this.#h.onCrash?.(error);
  }

  /**
   * Fetch rounds until stopped. A fetch the library gave up on (after its own retries, about 40 s
   * with the defaults) crashes the consumer at once; a failing `onBatch` is redelivered with
   * backoff and crashes after `retries` failures in a row.
   */
  async #run(consumer: Consumer): Promise<void> {
    const retries = this.#o.retries ?? 8;
    let failures = 0;
    while (this.#state === "running") {
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
          deliver: (f, messages, hw, next) => this.#deliver(f, messages, hw, next),
          outOfRange: (f, logStart, hw) => this.#outOfRange(f, logStart, hw),
          within: (request) => this.#within(request, FETCH_DEADLINE_MS),
        });
        failures = 0;
      } catch (error) {
        if (this.#state !== "running") return;
        this.#metrics?.error(error instanceof FetchFailed ? "fetch" : "handler");
        if (error instanceof FetchFailed) return this.#onCrash(error.cause);
        if (++failures > retries) return this.#onCrash(error);
        const delay = Math.min(10_000, 300 * 2 ** (failures - 1));
        this.#log.warn("batch failed, redelivering", { attempt: failures, delayMs: delay, error });
        consumer.clearMetadata();
        await this.#clock.sleep(delay, this.#abort.signal).catch(() => {});
      }
    }
  }

  /** `request`, or a rejection once `ms` passed (or the consumer stops) without an answer. */
  async #within<T>(request: Promise<T>, ms: number): Promise<T> {
    const done = new AbortController();
    const signal = AbortSignal.any([done.signal, this.#abort.signal]);
    const late = this.#clock.sleep(ms, signal).then(
      () => Promise.reject(new Error(`No answer from the brokers within ${ms} ms`)),
      () => Promise.reject(new Error("The consumer stopped")),
    );
    late.catch(() => {});
    try {
      return await Promise.race([request, late]);
    } finally {
      done.abort();
    }
  }

  /** Owned partitions with a known position, not paused, once the assignment callbacks settled. */
  #wanted(): PartitionFetch[] {
    const out: PartitionFetch[] = [];
    for (const [key, owned] of this.#assigned) {
      if (owned.next === undefined || this.#pausedSet.has(key)) continue;
      out.push({ key, topic: owned.topic, partition: owned.partition, offset: owned.next });
    }
    return out;
  }

  /** A position outside the log moves to its start or end, as `fromBeginning` says. */
  #outOfRange(f: PartitionFetch, logStart: bigint, highWatermark: bigint): void {
    const owned = this.#assigned.get(f.key);
    if (owned?.next !== f.offset) return;
    const earliest = owned.reset ? owned.reset === "earliest" : this.#o.fromBeginning ?? true;
    this.#log.warn("offset out of range, reset", {
      topic: f.topic,
      partition: f.partition,
      offset: String(f.offset),
      to: earliest ? "earliest" : "latest",
    });
    owned.next = earliest ? logStart : highWatermark;
    owned.reset = undefined;
  }

  /** Hands one partition's records to `onBatch` unless it changed hands or paused meanwhile. */
  async #deliver(
    f: PartitionFetch,
    messages: import("kafkajs").KafkaMessage[],
    highWatermark: bigint,
    next: bigint,
  ): Promise<void> {
    await this.#ready;
    const owned = this.#assigned.get(f.key);
    // Revoked, moved by a seek, or paused since the fetch was sent: fetched again when due.
    if (this.#state !== "running" || owned?.next !== f.offset || this.#pausedSet.has(f.key)) {
      return;
    }
    const hw = Number(highWatermark);
    if (owned.reset === "latest") messages = [];
    if (owned.reset === "latest") next = highWatermark;
    owned.reset = undefined;
    if (messages.length === 0) {
      owned.next = next;
      this.#metrics?.processingLag(f.topic, f.partition, Math.max(0, hw - Number(next)));
      return;
    }
    const last = Number(messages[messages.length - 1].offset);
    const committed = this.#commits!.observe(f.key, Number(messages[0].offset), hw);
    this.#metrics?.consumed(f.topic, messages.length);
    this.#metrics?.lag(f.topic, f.partition, hw - committed);
    await this.#h.onBatch(f.topic, f.partition, messages, String(highWatermark));
    owned.next = next;
    this.#metrics?.processingLag(f.topic, f.partition, Math.max(0, hw - last - 1));
  }
}
