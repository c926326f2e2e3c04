/**
 * The `process` role over Kafka: a consumer-group member whose every assigned partition gets its
 * own stage (window aggregator → analytics → stores). Commits follow src/bus/commit_tracker.ts:
 * only what every store acknowledged and no open or revisable window still needs, with the
 * watermark reached so far as commit metadata. A new owner restores that watermark, warms its
 * indicators and rules from the stored candles, then replays from the commit, so it rebuilds the
 * same windows before it emits anything new.
 * @module
 */
import type { KafkaMessage } from "kafkajs";
import type { RecordAggregatorMessage } from "../../actors/aggregators/record_aggregator.ts";
import { WindowWorkerClient } from "../../actors/aggregators/window_worker_client.ts";
import { kafkaReaderProps } from "../../actors/readers/kafka_reader.ts";
import { CommitTracker } from "../bus/commit_tracker.ts";
import { createKafkaConsumer, type TopicPartition } from "../connectors/kafka/kafka_consumer.ts";
import { packRecords } from "../connectors/kafka/packed_records.ts";
import {
  isEndOfInput,
  type RecordHeaders,
  unsupportedVersion,
} from "../connectors/kafka/tick_codec.ts";
import type { DeadLetter } from "../market/dead_letter.ts";
import { committedMetadata, topicPartitions } from "./kafka_admin.ts";
import type { RoleContext } from "./kafka_roles.ts";
import { barrier } from "./messaging.ts";
import { type PartitionStage, spawnRecordStage, windowWorkerSettings } from "./partition_stage.ts";

/** A header's first value (kafkajs repeats a header as an array). */
function firstHeaderValue(v: RecordHeaders[string]): Uint8Array | string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

interface OwnedPartition {
  readonly stage: PartitionStage<RecordAggregatorMessage>;
  readonly tracker: CommitTracker;
  lastCommit: number;
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
  const owned = new Map<number, OwnedPartition>();
  const stopping = new Map<number, Promise<void>>();
  const ended = new Set<number>();
  let consumerRef: ReturnType<typeof createKafkaConsumer> | null = null;
  const group = config.kafka.group;
  const worker = new WindowWorkerClient(windowWorkerSettings(ctx.stage));

  let partitionCount = 0;
  const assign = async (parts: TopicPartition[]) => {
    const committed = await committedMetadata(kafka, group, topics.ticks);
    partitionCount ||= (await topicPartitions(kafka, topics.ticks)).length;
    const history = await ctx.history?.forPartitions(
      parts.map((tp) => tp.partition),
      partitionCount,
      config.intervals,
    );
    for (const { partition } of parts) {
      await stopping.get(partition);
      const maxTsBefore = committed.get(partition);
      const stage = spawnRecordStage(ctx.stage, partition, worker);
      const rows = history?.get(partition);
      if (rows?.length) await stage.analytics.tell({ kind: "warmup", rows });
      if (maxTsBefore !== undefined) {
        const w = stage.aggregator.tell({
          kind: "restore",
          watermark: maxTsBefore - config.windows.allowedLatenessMs,
        });
        if (w) await w;
      }
      owned.set(partition, {
        stage,
        tracker: new CommitTracker({
          allowedLatenessMs: config.windows.allowedLatenessMs,
          lateUpdateWindowMs: config.windows.lateUpdateWindowMs,
          longestIntervalMs: longest,
          maxTsBefore,
        }),
        lastCommit: clock.monotonic(),
      });
      log.info("partition assigned", { partition, restoredMaxTs: maxTsBefore ?? null });
    }
  };
  const revoke = async (parts: TopicPartition[]) => {
    for (const { partition } of parts) {
      const p = owned.get(partition);
      if (!p) continue;
      owned.delete(partition);
      // Drained, not flushed: open windows are rebuilt by the next owner from the commit.
      const stop = system.stop(p.stage.aggregator).then(() => system.stop(p.stage.analytics));
      stopping.set(partition, stop);
      await stop;
      stopping.delete(partition);
      log.info("partition revoked", { partition });
    }
  };
  // Fetching more for a partition whose stage is full only fills memory: pause it until the stage
  // has drained to half (the member keeps heartbeating meanwhile). Pausing earlier thrashes:
  // every resume waits for a fetch round trip, and one kafkajs batch can be most of a mailbox.
  const paused = new Set<number>();
  const pauseWhileFull = (
    topic: string,
    partition: number,
    stage: PartitionStage<RecordAggregatorMessage>,
  ) => {
    const ref = stage.aggregator;
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
  const commit = async (partition: number, point: { offset: number; maxTsBefore: number }) => {
    const meta = JSON.stringify({
      v: 1,
      maxTs: Number.isFinite(point.maxTsBefore) ? point.maxTsBefore : null,
    });
    await consumerRef?.commit(topics.ticks, partition, point.offset, meta);
  };
  const onBatch = async (topic: string, partition: number, messages: KafkaMessage[]) => {
    const p = owned.get(partition);
    if (!p || messages.length === 0) return;
    const kept: KafkaMessage[] = [];
    const values: Uint8Array[] = [];
    const sources: RecordHeaders[string][] = [];
    let endAt = -1;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      if (isEndOfInput(m.headers)) {
        endAt = i;
        continue;
      }
      const unsupported = unsupportedVersion(m.headers);
      if (unsupported !== null || m.value === null) {
        const w = deadLetter({
          reason: unsupported !== null ? "unknown_message" : "missing_field",
          detail: unsupported ?? "record has no value",
          raw: m.value ? new TextDecoder().decode(m.value) : "",
          source: `${topic}/${partition}@${m.offset}`,
          ts: clock.now(),
        }, m.value ? new Uint8Array(m.value) : undefined);
        if (w) await w;
        continue;
      }
      kept.push(m);
      values.push(m.value);
      sources.push(m.headers?.source);
    }
    const first = Number(messages[0].offset);
    const next = Number(messages[messages.length - 1].offset) + 1;
    // Decoded on the window worker; the commit tracker learns the batch's event times once the
    // batch is handed on (so the commit point never runs ahead of what the stores have).
    const sent = p.stage.aggregator.tell({
      kind: "records",
      records: packRecords(values, sources.map(firstHeaderValue)),
      rejected: (index, reason, detail) => {
        const m = kept[index];
        return deadLetter({
          reason,
          detail,
          raw: new TextDecoder().decode(m.value!),
          source: `${topic}/${partition}@${m.offset}`,
          ts: clock.now(),
        }, new Uint8Array(m.value!));
      },
      processed: (maxTs) => p.tracker.add(first, next, maxTs),
    });
    if (sent) await sent;
    pauseWhileFull(topic, partition, p.stage);
    if (endAt >= 0) {
      await barrier<RecordAggregatorMessage>(p.stage.aggregator);
      const point = p.tracker.finishAll();
      if (point) await commit(partition, point);
      ended.add(partition);
      log.info("end of input", { partition });
      const assigned = consumerRef?.assignment() ?? [];
      if (assigned.length > 0 && assigned.every((tp) => ended.has(tp.partition))) {
        onEnded();
      }
      return;
    }
    if (clock.monotonic() - p.lastCommit >= config.kafka.commitIntervalMs) {
      const point = p.tracker.commitPoint();
      await barrier<RecordAggregatorMessage>(p.stage.aggregator, "sync");
      if (point) await commit(partition, point);
      p.lastCommit = clock.monotonic();
    }
  };
  const ref = system.spawn(kafkaReaderProps("reader-process", (onCrash) => {
    consumerRef = createKafkaConsumer({
      kafka,
      groupId: group,
      topics: [topics.ticks],
      fromBeginning: true,
      sessionTimeout: config.kafka.sessionTimeoutMs,
      registry,
      logger: log.child("process"),
      clock,
      handlers: { onAssigned: assign, onRevoked: revoke, onBatch, onCrash },
    });
    return consumerRef;
  }));
  return {
    stop: async () => {
      await system.stop(ref);
      worker.terminate();
    },
  };
}
