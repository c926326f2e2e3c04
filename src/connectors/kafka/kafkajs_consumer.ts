/**
 * The {@linkcode KafkaConsumer} over kafkajs `eachBatch` with manual offsets (`autoCommit:
 * false`); kafka_consumer.ts states the delivery rules, group_member.ts keeps the lifecycle and
 * the assignment bookkeeping shared with the platformatic consumer. kafkajs fetches, seeks and
 * pauses; this adds skipping records already delivered, heartbeats while `onBatch` is pending,
 * and one OffsetCommit for the commits asked for meanwhile.
 * @module
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import { type Clock, systemClock } from "../../clock.ts";
import { type Logger, silentLogger } from "../../logger.ts";
import { type ConsumerMetrics, consumerMetrics } from "./consumer_metrics.ts";
import { isGenerationError, KafkaCommitError } from "./errors.ts";
import { GroupMember, keyOf } from "./group_member.ts";
import { heartbeatWhile } from "./heartbeat_while.ts";
import type {
  ConsumerState,
  KafkaConsumer,
  KafkaConsumerHandlers,
  KafkaConsumerOptions,
  StartPosition,
  TopicPartition,
} from "./kafka_consumer.ts";

/** A commit waiting to be sent. */
interface CommitRequest {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  readonly offset: string;
  readonly metadata: string | undefined;
  readonly done: PromiseWithResolvers<boolean>;
}

export class KafkajsConsumer implements KafkaConsumer {
  #o: KafkaConsumerOptions & { kafka: Kafka };
  #h: KafkaConsumerHandlers;
  #log: Logger;
  #clock: Clock;
  #metrics: ConsumerMetrics | undefined;
  #heartbeatMs: number;
  #consumer: Consumer | undefined;
  #unsubscribe: (() => void)[] = [];
  #member: GroupMember<TopicPartition>;

  /** Next offset to deliver per owned partition (skips redelivery after a rebalance). */
  #position = new Map<string, number>();
  #committed = new Map<string, number>();
  #highWatermark = new Map<string, number>();
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
    this.#member = new GroupMember({
      groupId: o.groupId,
      handlers: o.handlers,
      log: this.#log,
      metrics: this.#metrics,
    }, {
      open: () => this.#open(),
      quiesce: (wasRunning) => this.#quiesce(wasRunning),
      close: () => this.#close(),
      own: (tp) => tp,
      position: (_added, starts) => this.#seek(starts),
      revoking: (key) => {
        this.#position.delete(key);
        this.#committed.delete(key);
        this.#highWatermark.delete(key);
      },
      revoked: (key) => this.#committed.delete(key),
      setPaused: ({ topic, partition }, paused) => {
        if (paused) this.#consumer?.pause([{ topic, partitions: [partition] }]);
        else this.#consumer?.resume([{ topic, partitions: [partition] }]);
      },
      halt: () => {},
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
      consumer.on(CRASH, (e) => this.#member.crashed(e.payload.error)),
    ];
    await consumer.connect();
    await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 4,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
    const paused = this.#member.paused();
    if (paused.length) {
      consumer.pause(paused.map((p) => ({ topic: p.topic, partitions: [p.partition] })));
    }
  }

  /** Waits for the batches in flight. */
  async #quiesce(wasRunning: boolean): Promise<void> {
    if (!wasRunning) return;
    while (this.#inBatch > 0) {
      this.#batchesDone ??= Promise.withResolvers<void>();
      await this.#batchesDone.promise;
    }
  }

  async #close(): Promise<void> {
    try {
      await this.#consumer?.disconnect();
    } finally {
      for (const off of this.#unsubscribe) off();
      this.#unsubscribe = [];
      this.#consumer = undefined;
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
    if (!this.#member.owned(key) || !this.#consumer) return Promise.resolve(false);
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
        if (!this.#member.owned(r.key)) continue;
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
    return this.#member.assignment();
  }

  paused(): TopicPartition[] {
    return this.#member.paused();
  }

  #onJoin(memberAssignment: Record<string, number[]>): void {
    const owned: TopicPartition[] = [];
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      for (const partition of partitions) {
        owned.push({ topic, partition });
        // kafkajs restarts every partition at its committed offset after a rebalance. One this
        // member keeps goes on from the next offset to deliver instead: while a new owner
        // replays from its restore point the committed offset is ahead of that (it stays the
        // previous owner's, commit_tracker.ts), and restarting there skipped the rest of the
        // replay — partial candles after a kill -9. (Revoked partitions have no position left.)
        const position = this.#position.get(keyOf(topic, partition));
        if (position !== undefined) {
          this.#consumer?.seek({ topic, partition, offset: `${position}` });
        }
      }
    }
    this.#member.joined(owned);
  }

  /**
   * Before any batch of the new partitions is delivered (they wait for the member's ready): a
   * batch fetched from the committed offset meanwhile is stale and skipped, the next fetch starts
   * here.
   */
  #seek(starts: readonly StartPosition[]): void {
    for (const s of starts) {
      const key = keyOf(s.topic, s.partition);
      if (!this.#member.owned(key)) continue;
      this.#consumer?.seek({ topic: s.topic, partition: s.partition, offset: s.offset });
      // The next offset to deliver from now on, so that a rejoin before the first batch cannot
      // skip the start either (#onJoin).
      this.#position.set(key, Number(s.offset));
      if (s.committed !== undefined) this.#committed.set(key, Number(s.committed));
    }
  }

  async #eachBatch(p: EachBatchPayload): Promise<void> {
    this.#inBatch++;
    try {
      await this.#member.ready;
      const { batch } = p;
      const key = keyOf(batch.topic, batch.partition);
      const running = this.#member.state === "running";
      if (!running || !p.isRunning() || p.isStale() || !this.#member.owned(key)) {
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
