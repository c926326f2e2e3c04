/**
 * The commit queue of the `@platformatic/kafka` consumer, as in the kafkajs one: commits asked
 * for while one is in flight go together in the next OffsetCommit request (the latest per
 * partition); a generation error (the group is rebalancing) commits nothing and resolves false;
 * the committed-lag gauge follows the acknowledged commits.
 * @module
 */
import type { Admin, Consumer } from "@platformatic/kafka";
import type { Clock } from "../../clock.ts";
import type { Logger } from "../../logger.ts";
import type { ConsumerMetrics } from "./consumer_metrics.ts";
import { isGenerationError, KafkaCommitError } from "./errors.ts";
import { commitWithMetadata, type OffsetToCommit } from "./platformatic_commit.ts";

interface Request extends OffsetToCommit {
  readonly key: string;
  readonly done: PromiseWithResolvers<boolean>;
}

/** Dependencies of {@linkcode PlatformaticCommits}. */
export interface CommitsDeps {
  /** Whether the partition `key` is still owned (commits for others are not sent). */
  isOwned(key: string): boolean;
  /** The client whose connection carries the commits (see platformatic_commit.ts). */
  via: Admin;
  /** A commit not answered within this fails (retriable). */
  timeoutMs: number;
  metrics: ConsumerMetrics | undefined;
  log: Logger;
  clock: Clock;
}

export class PlatformaticCommits {
  #consumer: Consumer | undefined;
  #d: CommitsDeps;
  #queue: Request[] = [];
  #sending = false;
  #committed = new Map<string, number>();
  #highWatermark = new Map<string, number>();

  constructor(consumer: Consumer, deps: CommitsDeps) {
    this.#consumer = consumer;
    this.#d = deps;
  }

  /** Queues a commit; see `KafkaConsumer.commit`. */
  commit(o: OffsetToCommit, key: string): Promise<boolean> {
    const request: Request = { ...o, key, done: Promise.withResolvers<boolean>() };
    this.#queue.push(request);
    if (!this.#sending) {
      this.#sending = true;
      queueMicrotask(() => void this.#send());
    }
    return request.done.promise;
  }

  /** Notes a batch starting at `first` with high watermark `hw`; returns the committed offset. */
  observe(key: string, first: number, hw: number): number {
    if (!this.#committed.has(key)) this.#committed.set(key, first);
    this.#highWatermark.set(key, hw);
    return this.#committed.get(key)!;
  }

  setCommitted(key: string, offset: number): void {
    this.#committed.set(key, offset);
  }

  forget(key: string): void {
    this.#committed.delete(key);
    this.#highWatermark.delete(key);
  }

  /** The consumer is gone: queued and later commits resolve false. */
  async close(): Promise<void> {
    this.#consumer = undefined;
    await this.#d.via.close().catch(() => {});
  }

  async #send(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      const latest = new Map<string, Request>();
      for (const r of batch) if (this.#d.isOwned(r.key)) latest.set(r.key, r);
      const consumer = this.#consumer;
      if (!consumer || latest.size === 0) {
        for (const r of batch) r.done.resolve(false);
        continue;
      }
      const t0 = this.#d.clock.monotonic();
      try {
        await withTimeout(
          commitWithMetadata(consumer, this.#d.via, [...latest.values()]),
          this.#d.timeoutMs,
          this.#d.clock,
        );
      } catch (cause) {
        this.#failed(batch, cause, consumer);
        continue;
      }
      this.#d.metrics?.commitSeconds((this.#d.clock.monotonic() - t0) / 1000);
      for (const r of latest.values()) this.#acknowledged(r);
      for (const r of batch) r.done.resolve(latest.has(r.key));
    }
    this.#sending = false;
  }

  #acknowledged(r: Request): void {
    if (!this.#d.isOwned(r.key)) return;
    this.#committed.set(r.key, Number(r.offset));
    const hw = this.#highWatermark.get(r.key);
    if (hw !== undefined) {
      this.#d.metrics?.lag(r.topic, r.partition, Math.max(0, hw - Number(r.offset)));
    }
  }

  #failed(batch: Request[], cause: unknown, consumer: Consumer): void {
    if (isGenerationError(cause) || this.#consumer !== consumer) {
      // The group is re-forming (or the consumer stopped): whoever owns the partitions next
      // replays from the last successful commit, so nothing is lost by not committing.
      this.#d.metrics?.error("commit_rebalance");
      this.#d.log.debug("commit skipped: group rebalancing", { partitions: batch.length });
      for (const r of batch) r.done.resolve(false);
      return;
    }
    this.#d.metrics?.error("commit");
    for (const r of batch) {
      r.done.reject(new KafkaCommitError(r.topic, r.partition, r.offset, { cause }));
    }
  }
}

/** `work`, or a retriable timeout error after `ms`. */
async function withTimeout<T>(work: Promise<T>, ms: number, clock: Clock): Promise<T> {
  const abort = new AbortController();
  const timeout = clock.sleep(ms, abort.signal).then(() => {
    throw Object.assign(new Error(`Commit not answered within ${ms} ms`), { retriable: true });
  }, () => undefined as never);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    abort.abort();
  }
}
