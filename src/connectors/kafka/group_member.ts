/**
 * The lifecycle and assignment bookkeeping every {@linkcode KafkaConsumer} shares, whatever the
 * client library: idempotent `start()`/`stop()` (a crashed member is stopped before it starts
 * again), the owned and paused partitions, the order of the assignment callbacks (a revocation
 * and the next `onAssigned` run one after the other, batches wait for both through
 * {@linkcode GroupMember.ready}), revoking everything before leaving the group on `stop()`, and
 * a crash reported once with every partition revoked. The client-specific part (connecting,
 * fetching, seeking, leaving the group) is a {@linkcode MemberClient}.
 * @module
 */
import type { Logger } from "../../logger.ts";
import type { ConsumerMetrics } from "./consumer_metrics.ts";
import { KafkaConsumerCrashError } from "./errors.ts";
import type {
  ConsumerState,
  KafkaConsumerHandlers,
  StartPosition,
  TopicPartition,
} from "./kafka_consumer.ts";

/** The key of a partition in the maps of a consumer. */
export const keyOf = (topic: string, partition: number): string => `${topic}|${partition}`;

/** What a client library does for a {@linkcode GroupMember}. */
export interface MemberClient<P extends TopicPartition> {
  /** Connects, subscribes and starts consuming; the member is already `running`. */
  open(): Promise<void>;
  /** Stops delivering: in-flight batches settle before it resolves. `running` says it was. */
  quiesce(wasRunning: boolean): Promise<void>;
  /** Leaves the group (when it was running) and disconnects; every partition is revoked. */
  close(wasRunning: boolean): Promise<void>;
  /** The entry kept for a newly owned partition. */
  own(tp: TopicPartition): P;
  /** Positions `added` once `onAssigned` settled, from the start positions it returned. */
  position(added: TopicPartition[], starts: readonly StartPosition[]): void | Promise<void>;
  /** Drops what the client keeps about a partition being revoked, before `onRevoked`. */
  revoking(key: string, tp: TopicPartition): void;
  /** The same once `onRevoked` settled (commits it made meanwhile left state behind). */
  revoked(key: string): void;
  /** Pauses or resumes fetching one partition (called while running). */
  setPaused(tp: TopicPartition, paused: boolean): void;
  /** Stops fetching after a crash. */
  halt(): void;
}

/** Options of {@linkcode GroupMember}. */
export interface GroupMemberOptions {
  groupId: string;
  handlers: KafkaConsumerHandlers;
  log: Logger;
  metrics: ConsumerMetrics | undefined;
}

/** One consumer-group member's state, shared by the kafkajs and platformatic consumers. */
export class GroupMember<P extends TopicPartition> {
  #o: GroupMemberOptions;
  #client: MemberClient<P>;
  #state: ConsumerState = "new";
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #assigned = new Map<string, P>();
  /**
   * The group's latest assignment to this member, updated when it arrives: the next one is diffed
   * against it, not against `#assigned`, which follows only as the callbacks run. Diffing against
   * `#assigned` lost changes when the group re-formed while `onAssigned` still ran: a partition
   * given and taken again was never revoked, and when it came back it was not assigned again — no
   * restore, its reading resumed at the committed offset (partial candles after a kill -9).
   */
  #target = new Map<string, TopicPartition>();
  #paused = new Map<string, TopicPartition>();
  #ready: Promise<void> = Promise.resolve();

  constructor(o: GroupMemberOptions, client: MemberClient<P>) {
    this.#o = o;
    this.#client = client;
  }

  get state(): ConsumerState {
    return this.#state;
  }

  /** Settles once the assignment callbacks queued so far did; batches wait for it. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** The entry of an owned partition. */
  owned(key: string): P | undefined {
    return this.#assigned.get(key);
  }

  /** Owned partitions, keyed. */
  entries(): IterableIterator<[string, P]> {
    return this.#assigned.entries();
  }

  isPaused(key: string): boolean {
    return this.#paused.has(key);
  }

  assignment(): TopicPartition[] {
    return [...this.#assigned.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  paused(): TopicPartition[] {
    return [...this.#paused.values()];
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
        this.#state = "running";
        this.#ready = Promise.resolve();
        await this.#client.open();
      } catch (error) {
        await this.#stop().catch(() => {});
        throw error;
      }
    })();
    return this.#starting;
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
    this.#target = new Map();
    await this.#client.quiesce(wasRunning);
    await this.#ready.catch(() => {});
    // Revoked before leaving the group, so a final commit in onRevoked still counts.
    if (wasRunning) await this.#revoke([...this.#assigned.values()]);
    await this.#ready.catch(() => {});
    try {
      await this.#client.close(wasRunning);
    } finally {
      this.#paused.clear();
      this.#o.metrics?.paused(0);
      this.#state = "stopped";
    }
  }

  pause(topic: string, partition: number): void {
    this.#paused.set(keyOf(topic, partition), { topic, partition });
    if (this.#state === "running") this.#client.setPaused({ topic, partition }, true);
    this.#o.metrics?.paused(this.#paused.size);
  }

  resume(topic: string, partition: number): void {
    this.#paused.delete(keyOf(topic, partition));
    if (this.#state === "running") this.#client.setPaused({ topic, partition }, false);
    this.#o.metrics?.paused(this.#paused.size);
  }

  /** The group (re)formed and this member now owns `owned`. */
  joined(owned: readonly TopicPartition[]): void {
    const next = new Map<string, TopicPartition>();
    for (const tp of owned) next.set(keyOf(tp.topic, tp.partition), tp);
    const revoked = [...this.#target].filter(([k]) => !next.has(k)).map(([, tp]) => tp);
    const added = [...next].filter(([k]) => !this.#target.has(k)).map(([, tp]) => tp);
    this.#target = next;
    const metrics = this.#o.metrics;
    metrics?.rebalance();
    this.#o.log.info("joined group", {
      group: this.#o.groupId,
      assigned: next.size,
      added: added.length,
      revoked: revoked.length,
    });
    // Revoked partitions stop accepting commits and deliveries now; the callbacks run in order,
    // and batches wait for them through #ready.
    for (const tp of revoked) this.#assigned.delete(keyOf(tp.topic, tp.partition));
    // Pauses requested before this assignment apply now, before the first fetch is built.
    for (const tp of added) {
      if (this.#paused.has(keyOf(tp.topic, tp.partition))) this.#client.setPaused(tp, true);
    }
    this.#ready = this.#ready.then(async () => {
      await this.#revoke(revoked);
      for (const tp of added) {
        this.#assigned.set(keyOf(tp.topic, tp.partition), this.#client.own(tp));
      }
      metrics?.assigned(this.#assigned.size);
      metrics?.paused(this.#paused.size);
      if (added.length === 0) return;
      const starts = await this.#o.handlers.onAssigned?.(added);
      await this.#client.position(added, starts ?? []);
    });
    this.#ready.catch((error) => {
      metrics?.error("handler");
      this.#o.log.error("assignment callback failed", { error });
    });
  }

  async #revoke(partitions: TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return;
    const metrics = this.#o.metrics;
    for (const tp of partitions) {
      const key = keyOf(tp.topic, tp.partition);
      this.#client.revoking(key, tp);
      metrics?.forgetPartition(tp.topic, tp.partition);
      // A partition paused by its old reader must not stay paused if it comes back.
      if (this.#paused.delete(key) && this.#state === "running") this.#client.setPaused(tp, false);
    }
    try {
      await this.#o.handlers.onRevoked?.(partitions);
    } finally {
      for (const tp of partitions) {
        const key = keyOf(tp.topic, tp.partition);
        this.#assigned.delete(key);
        this.#client.revoked(key);
      }
      metrics?.assigned(this.#assigned.size);
      metrics?.paused(this.#paused.size);
    }
  }

  /** The client failed for good: everything is revoked and the owner told through `onCrash`. */
  crashed(cause: unknown): void {
    const error = new KafkaConsumerCrashError(this.#o.groupId, { cause });
    this.#o.metrics?.error("crash");
    this.#o.log.error("consumer crashed", {
      group: this.#o.groupId,
      error,
      retriable: error.retriable,
    });
    this.#state = "crashed";
    this.#target = new Map();
    this.#client.halt();
    // Everything owned once the callbacks in progress ran (they may still add partitions).
    this.#ready = this.#ready.catch(() => {}).then(() => this.#revoke([...this.#assigned.values()]))
      .catch(() => {});
    this.#o.handlers.onCrash?.(error);
  }
}
