/**
 * The `process` role over Kafka: a consumer-group member whose every assigned partition gets its
 * own stage (window stage → analytics → stores). A partition commits (commit_tracker.ts) its
 * processed position as the offset — what every store acknowledged, so Kafka's own tools see the
 * true lag — and, in the commit's metadata, the restore point: the earliest offset an open or
 * revisable window still needs, with the watermark reached before it. When it commits is
 * partition_committer.ts. A new owner restores that watermark, warms its indicators and rules
 * from the stored candles, seeks to the restore point and replays up to the committed offset
 * (re-emitting idempotently), so it rebuilds the same windows before it emits anything new.
 * @module
 */
import type { KafkaMessage } from "kafkajs";
import { offsetOf } from "../../connectors/kafka/fetched_message.ts";
import { WindowWorkerSlot } from "../../../actors/windows/window_worker_client.ts";
import { createTickRules } from "../../../actors/analytics/analytics_logic.ts";
import { kafkaReaderProps } from "../../../actors/readers/kafka_reader.ts";
import { type CommitPoint, CommitTracker } from "./commit_tracker.ts";
import { PartitionCommitter } from "./partition_committer.ts";
import {
  createKafkaConsumer,
  type StartPosition,
  type TopicPartition,
} from "../../connectors/kafka/kafka_consumer.ts";
import { type PackedRecords, packRecords } from "../../connectors/kafka/packed_records.ts";
import type { FetchedBatches } from "../../connectors/kafka/fetched_batches.ts";
import { packFetched } from "../../connectors/kafka/pack_fetched.ts";
import {
  headerValue,
  isEndOfInput,
  isTickRecord,
  unsupportedVersion,
} from "../../connectors/kafka/tick_codec.ts";
import type { DeadLetter } from "../../market/dead_letter.ts";
import { commitMetadata, committedPositions, topicPartitions } from "./kafka_admin.ts";
import { restoreMetrics } from "./restore_metrics.ts";
import type { RoleContext } from "./kafka_roles.ts";
import { barrier } from "../../../actors/barrier.ts";
import {
  type PartitionStage,
  spawnPartitionStage,
  windowWorkerSettings,
} from "../partition_stage.ts";

interface OwnedPartition {
  readonly stage: PartitionStage;
  readonly commits: PartitionCommitter;
  /** Its stage failed: nothing more is handed to it, and the member is rejoining. */
  failed: boolean;
}

/** Starts the process role; `onEnded` runs once every owned partition passed its end marker. */
export function startProcessRole(
  ctx: RoleContext,
  deadLetter: (d: DeadLetter, original?: Uint8Array) => void | Promise<void>,
  onEnded: () => void,
): { stop(): Promise<void> } {
  const { config, system, clock, registry } = ctx.stage;
  const { kafka } = ctx.connection;
  const topics = ctx.connection.config.topics;
  const log = ctx.log;
  const longest = Math.max(...ctx.stage.intervals.map((i) => i.ms));
  // The tick rules run with their default cooldown and comparison window (window_worker_host.ts).
  const ruleLookbackMs = createTickRules().lookbackMs;
  const owned = new Map<number, OwnedPartition>();
  /**
   * The revocation in progress, if any. A new assignment waits for all of it: after a failure the
   * reader gives the old consumer's stop 5 s at most, and a new consumer's assignment must not
   * spawn a partition's stages while the old ones still drain.
   */
  let revoking: Promise<void> = Promise.resolve();
  const ended = new Set<number>();
  let consumerRef: ReturnType<typeof createKafkaConsumer> | null = null;
  const group = config.kafka.group;
  // Replaced when it dies: the partitions the rejoined member gets back open on a new one.
  const workers = new WindowWorkerSlot(windowWorkerSettings(ctx.stage));
  /** Reports a crash of the running consumer (its reader restarts it), once per consumer. */
  let crash: (error: unknown) => void = () => {};

  const depth = restoreMetrics(registry, topics.ticks);
  let partitionCount = 0;
  const assign = async (parts: TopicPartition[]): Promise<StartPosition[]> => {
    await revoking;
    const committed = await committedPositions(kafka, group, topics.ticks);
    const starts: StartPosition[] = [];
    partitionCount ||= (await topicPartitions(kafka, topics.ticks)).length;
    const history = await ctx.history?.forPartitions(
      parts.map((tp) => tp.partition),
      partitionCount,
      config.intervals,
    );
    for (const { partition } of parts) {
      const position = committed.get(partition);
      const maxTsBefore = position?.maxTsBefore;
      // The consumer that assigned the stage is the one its failure restarts, not a later one.
      const crashOwner = crash;
      const stage = spawnPartitionStage(ctx.stage, {
        kind: "kafka",
        partition,
        of: partitionCount,
        worker: workers.get(),
        failed: (error) => stageFailed(partition, stage, error, crashOwner),
      });
      const tracker = new CommitTracker({
        allowedLatenessMs: config.windows.allowedLatenessMs,
        lateUpdateWindowMs: config.windows.lateUpdateWindowMs,
        longestIntervalMs: longest,
        ruleLookbackMs,
        maxTsBefore,
        committed: position?.offset,
      });
      const commits = new PartitionCommitter({
        tracker,
        intervalMs: config.kafka.commitIntervalMs,
        clock,
        log: log.child(`partition-${partition}`),
        barrier: (kind) => barrier(stage.windows, kind),
        commit: (point) => commit(partition, point),
      });
      // Owned from its spawn: a stage that fails while it warms up is seen as any other.
      owned.set(partition, { stage, commits, failed: false });
      const rows = history?.get(partition);
      if (rows?.length) await stage.analytics.tell({ kind: "warmup", rows });
      if (maxTsBefore !== undefined) {
        const lateness = config.windows.allowedLatenessMs;
        const w = stage.windows.tell({
          kind: "restore",
          watermark: maxTsBefore - lateness,
          // The watermark at the processed position: the tick rules' horizon (window_core.ts).
          reached: (position?.maxTs ?? maxTsBefore) - lateness,
        });
        if (w) await w;
      }
      if (position && position.restore < position.offset) {
        starts.push({
          topic: topics.ticks,
          partition,
          offset: String(position.restore),
          committed: String(position.offset),
        });
      }
      log.info("partition assigned", {
        partition,
        committed: position?.offset ?? null,
        restoreFrom: position?.restore ?? null,
        restoredMaxTs: maxTsBefore ?? null,
      });
    }
    return starts;
  };
  const revoke = (parts: TopicPartition[]): Promise<void> => {
    const done = revoking.then(() => revokeNow(parts));
    revoking = done.catch(() => {});
    return done;
  };
  const revokeNow = async (parts: TopicPartition[]) => {
    for (const { partition } of parts) {
      const p = owned.get(partition);
      if (!p) continue;
      owned.delete(partition);
      // A commit in progress lands first, while this member still owns the partition.
      await p.commits.revoke();
      depth.forget(partition);
      // Drained, not flushed: open windows are rebuilt by the next owner from the commit.
      await system.stop(p.stage.windows);
      await system.stop(p.stage.analytics);
      log.info("partition revoked", { partition });
    }
  };
  /**
   * A partition's stage failed (its supervision, partition_stage.ts): its open windows and
   * indicators are gone, and what it had not handed on is lost with them. Nothing more goes to it
   * and nothing more of it is committed; the member crashes on purpose, so its reader restarts
   * the consumer (with backoff; a crash loop escalates and the process exits non-zero) and the
   * rejoined member restores each partition it gets from its commit, as any new owner does —
   * exact results, where restarting the stage would have continued from empty windows. Every
   * partition of this member goes through the rebalance, not only the failed one: one rejoin is
   * the path that is already exact, and a stage failure is a bug or a dead worker, not routine.
   */
  const stageFailed = (
    partition: number,
    stage: PartitionStage,
    error: unknown,
    crashOwner: (error: unknown) => void,
  ) => {
    const p = owned.get(partition);
    // A stage of an earlier assignment (failing while it drains at a revocation) changes nothing.
    if (p?.stage !== stage || p.failed) return;
    p.failed = true;
    void p.commits.revoke();
    log.error("partition stage failed; the member rejoins to restore it from its commit", {
      partition,
      error,
    });
    crashOwner(new Error(`partition ${partition}'s stage failed`, { cause: error }));
  };
  // Fetching more for a partition whose stage is full only fills memory: pause it until the stage
  // has drained to half (the member keeps heartbeating meanwhile). Pausing earlier thrashes:
  // every resume waits for a fetch round trip, and one kafkajs batch can be most of a mailbox.
  const paused = new Set<number>();
  const pauseWhileFull = (
    topic: string,
    partition: number,
    stage: PartitionStage,
  ) => {
    const ref = stage.windows;
    if (paused.has(partition) || ref.size < ref.capacity) return;
    paused.add(partition);
    consumerRef?.pause(topic, partition);
    const check = () => {
      if (owned.get(partition)?.stage !== stage || ref.size <= ref.capacity / 2) {
        paused.delete(partition);
        consumerRef?.resume(topic, partition);
        return;
      }
      clock.setTimeout(check, 20);
    };
    clock.setTimeout(check, 20);
  };
  /** False when nothing was committed (the group was re-forming, or the partition moved). */
  const commit = async (partition: number, point: CommitPoint) => {
    const meta = commitMetadata(point);
    const done = await consumerRef?.commit(topics.ticks, partition, point.processed, meta) ??
      false;
    if (done) depth.committed(partition, point);
    return done;
  };
  // Not async: when nothing has to wait (the common case) these return nothing, and the consumer
  // moves on without a promise, a heartbeat timer or a microtask per batch.
  const onBatch = (
    topic: string,
    partition: number,
    messages: KafkaMessage[],
  ): void | Promise<void> => {
    const p = owned.get(partition);
    // A failed stage's records stay uncommitted: the rejoined member reads them again.
    if (!p || p.failed || messages.length === 0) return;
    const ending = p.commits.ending;
    if (ending) return ending.then(() => onBatch(topic, partition, messages));
    const values: Uint8Array[] = [];
    const offsets: number[] = [];
    const sources: (Uint8Array | string | undefined)[] = [];
    const others: KafkaMessage[] = [];
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      if (m.value === null || isEndOfInput(m.headers) || unsupportedVersion(m.headers) !== null) {
        others.push(m);
        continue;
      }
      offsets.push(offsetOf(m));
      values.push(m.value);
      sources.push(headerValue(m.headers, "source"));
    }
    const first = offsetOf(messages[0]);
    const next = offsetOf(messages[messages.length - 1]) + 1;
    // The records are packed, so kafkajs' message objects die young, as the baseline's do.
    return handOn(p, topic, partition, packRecords(values, sources, offsets), others, first, next);
  };
  /** The same, from the fetched batches' bytes (`--kafka-client platformatic`). */
  const onBatches = (
    topic: string,
    partition: number,
    batches: FetchedBatches,
  ): void | Promise<void> => {
    const p = owned.get(partition);
    if (!p || p.failed || batches.count === 0) return;
    const ending = p.commits.ending;
    if (ending) return ending.then(() => onBatches(topic, partition, batches));
    const { packed, others } = packFetched(batches, isTickRecord);
    return handOn(p, topic, partition, packed, others, batches.first, batches.last + 1);
  };
  /**
   * Hands a batch to the partition's stage: `packed` (its tick records, decoded on the window
   * worker), after `others` (markers, records without a value or of another schema version) were
   * dealt with here. `[first, next)` is the batch's offset range.
   */
  const handOn = (
    p: OwnedPartition,
    topic: string,
    partition: number,
    packed: PackedRecords,
    others: readonly KafkaMessage[],
    first: number,
    next: number,
  ): void | Promise<void> => {
    const waits: Promise<void>[] = [];
    let ends = false;
    for (const m of others) {
      if (isEndOfInput(m.headers)) {
        ends = true;
        continue;
      }
      const unsupported = unsupportedVersion(m.headers);
      const w = deadLetter({
        reason: unsupported !== null ? "unknown_message" : "missing_field",
        detail: unsupported ?? "record has no value",
        raw: m.value ? new TextDecoder().decode(m.value) : "",
        source: `${topic}/${partition}@${m.offset}`,
        ts: clock.now(),
      }, m.value ? new Uint8Array(m.value) : undefined);
      if (w) waits.push(w);
    }
    // Decoded on the window worker; the commit tracker learns the batch's event times once the
    // batch is handed on (so the commit point never runs ahead of what the stores have).
    const sent = p.stage.windows.tell({
      kind: "records",
      records: packed,
      rejected: (r) =>
        deadLetter({
          reason: r.reason,
          detail: r.detail,
          raw: new TextDecoder().decode(r.original),
          source: `${topic}/${partition}@${r.offset}`,
          ts: clock.now(),
        }, r.original),
      processed: (maxTs) => p.commits.processed(first, next, maxTs),
    });
    if (sent) waits.push(sent);
    const handedOn = () => {
      pauseWhileFull(topic, partition, p.stage);
      if (ends) endOfInput(p, partition);
    };
    if (waits.length === 0) return handedOn();
    return Promise.all(waits).then(handedOn);
  };
  /**
   * An end marker: every open window is emitted now (flush), then the partition commits past the
   * marker. The restore point stays before it while those windows can still be revised, so a new
   * owner replays the marker too and emits the same (docs/kafka.md). The partition's next batch
   * (rare after an end) waits, so nothing races the flush.
   */
  const endOfInput = (p: OwnedPartition, partition: number): void => {
    void p.commits.end().then(() => {
      // A stage that failed meanwhile flushed nothing: the rejoined member replays the marker.
      if (p.failed || owned.get(partition) !== p) return;
      ended.add(partition);
      log.info("end of input", { partition });
      const assigned = consumerRef?.assignment() ?? [];
      if (assigned.length > 0 && assigned.every((tp) => ended.has(tp.partition))) {
        onEnded();
      }
    });
  };
  const ref = system.spawn(kafkaReaderProps("reader-process", (onCrash) => {
    let crashed = false;
    crash = (error) => {
      if (crashed) return;
      crashed = true;
      onCrash(error);
    };
    consumerRef = createKafkaConsumer({
      kafka,
      groupId: group,
      topics: [topics.ticks],
      fromBeginning: true,
      sessionTimeout: config.kafka.sessionTimeoutMs,
      maxWaitTimeInMs: config.kafka.fetchMaxWaitMs,
      registry,
      logger: log.child("process"),
      clock,
      handlers: { onAssigned: assign, onRevoked: revoke, onBatch, onBatches, onCrash: crash },
    });
    return consumerRef;
  }));
  return {
    stop: async () => {
      await system.stop(ref);
      workers.terminate();
    },
  };
}
