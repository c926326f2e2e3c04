/**
 * A consumer-group member over kafkajs `eachBatch` with manual offsets (`autoCommit: false`); for
 * a `@platformatic/kafka` client, {@linkcode createKafkaConsumer} returns the member of
 * platformatic_consumer.ts, which keeps the same rules. Both expose per-partition callbacks:
 * assignment, revocation, batches. Offsets move only through
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
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import { isPlatformatic, type KafkaClient } from "./kafka_client.ts";
import { type Clock, systemClock } from "../../clock.ts";
import { type Logger, silentLogger } from "../../logger.ts";
import type { Registry } from "../../telemetry/metrics.ts";
import { type ConsumerMetrics, consumerMetrics } from "./consumer_metrics.ts";
import { isGenerationError, KafkaCommitError, KafkaConsumerCrashError } from "./errors.ts";
import { heartbeatWhile } from "./heartbeat_while.ts";
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
  return new GroupConsumer({ ...options, kafka });
}

const keyOf = (topic: string, partition: number) => `${topic}|${partition}`;

/** A commit waiting to be sent. */
interface CommitRequest {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  readonly offset: string;
  readonly metadata: string | undefined;
  readonly done: PromiseWithResolvers<boolean>;
}

class GroupConsumer implements KafkaConsumer {
  #o: KafkaConsumerOptions & { kafka: Kafka };
  #h: KafkaConsumerHandlers;
  #log: Logger;
  #clock: Clock;
  #metrics: ConsumerMetrics | undefined;
  #heartbeatMs: number;
  #consumer: Consumer | undefined;
  #unsubscribe: (() => void)[] = [];
  #state: ConsumerState = "new";
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  #assigned = new Map<string, TopicPartition>();
  #pausedSet = new Map<string, TopicPartition>();
  /** Next offset to deliver per owned partition (skips redelivery after a rebalance). */
  #position = new Map<string, number>();
  #committed = new Map<string, number>();
  #highWatermark = new Map<string, number>();
  #ready: Promise<void> = Promise.resolve();
  #inBatch = 0;
  #batchesDone: PromiseWithResolvers<void> | undefined;
  #commitQueue: CommitRequest[] = [];
  #committing = false;

  constructor(o: KafkaConsumerOptions & { kafka: Kafka }) {
    this.#o = o;
    this.#h = o.handlers;
    this.#log = (o.logger ?? silentLogger).child("kafka_consumer");
    this.#clock = o.clock ?? systemClock;
    this.#metrics = o.registry && consumerMetrics(o.registry, o.groupId);
    this.#heartbeatMs = o.heartbeatInterval ?? Math.floor((o.sessionTimeout ?? 10_000) / 3);
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
    const consumer = this.#consumer = o.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeout ?? 10_000,
      rebalanceTimeout: o.rebalanceTimeout ?? 20_000,
      heartbeatInterval: this.#heartbeatMs,
      maxWaitTimeInMs: o.maxWaitTimeInMs ?? 500,
      maxBytesPerPartition: o.maxBytesPerPartition ?? 1_048_576,
      allowAutoTopicCreation: false,
      // The supervisor restarts us with backoff and counts crash loops; kafkajs must not.
      retry: {
        restartOnFailure: () => Promise.resolve(false),
        ...(o.retries !== undefined ? { retries: o.retries } : {}),
      },
    });
    const { GROUP_JOIN, CRASH, REBALANCING } = consumer.events;
    this.#unsubscribe = [
      consumer.on(GROUP_JOIN, (e) => this.#onJoin(e.payload.memberAssignment)),
      consumer.on(REBALANCING, () => this.#log.info("group rebalancing", { group: o.groupId })),
      consumer.on(CRASH, (e) => this.#onCrash(e.payload.error)),
    ];
    this.#state = "running";
    this.#ready = Promise.resolve();
    await consumer.connect();
    await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 4,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
    const paused = [...this.#pausedSet.values()];
    if (paused.length) {
      consumer.pause(paused.map((p) => ({ topic: p.topic, partitions: [p.partition] })));
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
    if (wasRunning) {
      while (this.#inBatch > 0) {
        this.#batchesDone ??= Promise.withResolvers<void>();
        await this.#batchesDone.promise;
      }
      await this.#ready.catch(() => {});
      await this.#revoke([...this.#assigned.values()]);
    }
    await this.#ready.catch(() => {});
    try {
      await this.#consumer?.disconnect();
    } finally {
      for (const off of this.#unsubscribe) off();
      this.#unsubscribe = [];
      this.#consumer = undefined;
      this.#pausedSet.clear();
      this.#metrics?.paused(0);
      this.#state = "stopped";
    }
  }

  pause(topic: string, partition: number): void {
    this.#pausedSet.set(keyOf(topic, partition), { topic, partition });
    if (this.#state === "running") this.#consumer?.pause([{ topic, partitions: [partition] }]);
    this.#metrics?.paused(this.#pausedSet.size);
  }

  resume(topic: string, partition: number): void {
    this.#pausedSet.delete(keyOf(topic, partition));
    if (this.#state === "running") this.#consumer?.resume([{ topic, partitions: [partition] }]);
    this.#metrics?.paused(this.#pausedSet.size);
  }

  commit(
    topic: string,
    partition: number,
    offset: number | bigint | string,
    metadata?: string,
  ): Promise<boolean> {
    const key = keyOf(topic, partition);
    if (!this.#assigned.has(key) || !this.#consumer) return Promise.resolve(false);
    const request: CommitRequest = {
      topic,
      partition,
      key,
      offset: String(offset),
      metadata,
      done: Promise.withResolvers<boolean>(),
    };
    this.#commitQueue.push(request);
    if (!this.#committing) {
      this.#committing = true;
      queueMicrotask(() => void this.#sendCommits());
    }
    return request.done.promise;
  }

  /**
   * Sends queued commits, all partitions in one OffsetCommit request: commits asked for while one
   * is in flight go together in the next (many partitions ending or committing at once would
   * otherwise wait for one round trip each).
   */
  async #sendCommits(): Promise<void> {
    while (this.#commitQueue.length > 0) {
      const batch = this.#commitQueue;
      this.#commitQueue = [];
      const latest = new Map<string, CommitRequest>();
      for (const r of batch) latest.set(r.key, r); // a partition's offsets only grow
      const consumer = this.#consumer;
      if (!consumer) {
        // Stopped meanwhile: its partitions are someone else's now, as after a rebalance.
        for (const r of batch) r.done.resolve(false);
        continue;
      }
      const t0 = this.#clock.monotonic();
      try {
        await consumer.commitOffsets(
          [...latest.values()].map((r) =>
            r.metadata === undefined
              ? { topic: r.topic, partition: r.partition, offset: r.offset }
              : { topic: r.topic, partition: r.partition, offset: r.offset, metadata: r.metadata }
          ),
        );
      } catch (cause) {
        if (isGenerationError(cause) || this.#consumer !== consumer) {
          // The group is re-forming (or the consumer stopped meanwhile): this member may no longer
          // own the partitions. Whoever owns them next replays from the last successful commit,
          // so nothing is lost by not committing.
          this.#metrics?.error("commit_rebalance");
          this.#log.debug("commit skipped: group rebalancing", { partitions: latest.size });
          for (const r of batch) r.done.resolve(false);
        } else {
          this.#metrics?.error("commit");
          for (const r of batch) {
            r.done.reject(new KafkaCommitError(r.topic, r.partition, r.offset, { cause }));
          }
        }
        continue;
      }
      this.#metrics?.commitSeconds((this.#clock.monotonic() - t0) / 1000);
      for (const r of latest.values()) {
        if (!this.#assigned.has(r.key)) continue;
        this.#committed.set(r.key, Number(r.offset));
        const hw = this.#highWatermark.get(r.key);
        if (hw !== undefined) {
          this.#metrics?.lag(r.topic, r.partition, Math.max(0, hw - Number(r.offset)));
        }
      }
      for (const r of batch) r.done.resolve(true);
    }
    this.#committing = false;
  }

  assignment(): TopicPartition[] {
    return [...this.#assigned.values()];
  }

  paused(): TopicPartition[] {
    return [...this.#pausedSet.values()];
  }

  #onJoin(memberAssignment: Record<string, number[]>): void {
    const next = new Map<string, TopicPartition>();
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
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
    // Revoked partitions stop accepting commits now; the callbacks run in order, and batches
    // wait for them through #ready.
    for (const tp of revoked) this.#assigned.delete(keyOf(tp.topic, tp.partition));
    // Apply pauses requested before this assignment now, before the first fetch is built.
    const paused = added.filter((tp) => this.#pausedSet.has(keyOf(tp.topic, tp.partition)));
    for (const { topic, partition } of paused) {
      this.#consumer?.pause([{ topic, partitions: [partition] }]);
    }
    this.#ready = this.#ready.then(async () => {
      await this.#revoke(revoked);
      for (const tp of added) this.#assigned.set(keyOf(tp.topic, tp.partition), tp);
      this.#metrics?.assigned(this.#assigned.size);
      this.#metrics?.paused(this.#pausedSet.size);
      if (added.length === 0) return;
      const starts = await this.#h.onAssigned?.(added);
      // Before any batch of these partitions is delivered (they wait for #ready): a batch fetched
      // from the committed offset meanwhile is stale and skipped, the next fetch starts here.
      for (const s of starts ?? []) {
        const key = keyOf(s.topic, s.partition);
        if (!this.#assigned.has(key)) continue;
        this.#consumer?.seek({ topic: s.topic, partition: s.partition, offset: s.offset });
        if (s.committed !== undefined) this.#committed.set(key, Number(s.committed));
      }
    });
    this.#ready.catch((error) => {
      this.#metrics?.error("handler");
      this.#log.error("assignment callback failed", { error });
    });
  }

  async #revoke(partitions: TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return;
    for (const { topic, partition } of partitions) {
      const key = keyOf(topic, partition);
      this.#position.delete(key);
      this.#committed.delete(key);
      this.#highWatermark.delete(key);
      this.#metrics?.forgetPartition(topic, partition);
      // A partition paused by its old reader must not stay paused if it comes back.
      if (this.#pausedSet.delete(key) && this.#state === "running") {
        this.#consumer?.resume([{ topic, partitions: [partition] }]);
      }
    }
    try {
      await this.#h.onRevoked?.(partitions);
    } finally {
      for (const { topic, partition } of partitions) {
        this.#assigned.delete(keyOf(topic, partition));
        this.#committed.delete(keyOf(topic, partition));
      }
      this.#metrics?.assigned(this.#assigned.size);
      this.#metrics?.paused(this.#pausedSet.size);
    }
  }

  #onCrash(cause: unknown): void {
    const error = new KafkaConsumerCrashError(this.#o.groupId, { cause });
    this.#metrics?.error("crash");
    this.#log.error("consumer crashed", {
      group: this.#o.groupId,
      error,
      retriable: error.retriable,
    });
    this.#state = "crashed";
    const all = [...this.#assigned.values()];
    this.#ready = this.#ready.catch(() => {}).then(() => this.#revoke(all)).catch(() => {});
    this.#h.onCrash?.(error);
  }

  async #eachBatch(p: EachBatchPayload): Promise<void> {
    this.#inBatch++;
    try {
      await this.#ready;
      const { batch } = p;
      const key = keyOf(batch.topic, batch.partition);
      if (this.#state !== "running" || !p.isRunning() || p.isStale() || !this.#assigned.has(key)) {
        return;
      }
      let messages = batch.messages;
      const position = this.#position.get(key);
      if (position !== undefined && messages.length > 0 && Number(messages[0].offset) < position) {
        messages = messages.filter((m) => Number(m.offset) >= position);
      }
      if (messages.length === 0) {
        p.resolveOffset(batch.lastOffset());
        return;
      }
      const last = messages[messages.length - 1].offset;
      if (!this.#committed.has(key)) this.#committed.set(key, Number(messages[0].offset));
      const hw = Number(batch.highWatermark);
      this.#highWatermark.set(key, hw);
      this.#metrics?.consumed(batch.topic, messages.length);
      this.#metrics?.lag(batch.topic, batch.partition, hw - this.#committed.get(key)!);
      await this.#deliver(batch.topic, batch.partition, messages, batch.highWatermark, p.heartbeat);
      this.#position.set(key, Number(last) + 1);
      this.#metrics?.processingLag(
        batch.topic,
        batch.partition,
        Math.max(0, hw - Number(last) - 1),
      );
      p.resolveOffset(last);
    } finally {
      if (--this.#inBatch === 0 && this.#batchesDone) {
        this.#batchesDone.resolve();
        this.#batchesDone = undefined;
      }
    }
  }

  /** Runs `onBatch`, heartbeating while it is pending; rethrows a rebalance seen meanwhile. */
  async #deliver(
    topic: string,
    partition: number,
    messages: KafkaMessage[],
    highWatermark: string,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    let result: void | Promise<void>;
    try {
      result = this.#h.onBatch(topic, partition, messages, highWatermark);
    } catch (error) {
      this.#metrics?.error("handler");
      throw error;
    }
    if (!result) return;
    const handled = result.catch((error) => {
      this.#metrics?.error("handler");
      throw error;
    });
    await heartbeatWhile(handled, heartbeat, this.#heartbeatMs, this.#clock);
  }
}
