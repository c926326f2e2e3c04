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
import type { AggregatorMessage } from "../../actors/aggregators/window_aggregator.ts";
import { kafkaReaderProps } from "../../actors/readers/kafka_reader.ts";
import { CommitTracker } from "../bus/commit_tracker.ts";
import { createKafkaConsumer, type TopicPartition } from "../connectors/kafka/kafka_consumer.ts";
import { decodeTick, isEndOfInput } from "../connectors/kafka/tick_codec.ts";
import type { DeadLetter } from "../market/dead_letter.ts";
import type { Tick } from "../market/tick.ts";
import { committedMetadata, topicPartitions } from "./kafka_admin.ts";
import type { RoleContext } from "./kafka_roles.ts";
import { barrier } from "./messaging.ts";
import { type PartitionStage, spawnPartitionStage } from "./partition_stage.ts";

interface OwnedPartition {
  readonly stage: PartitionStage;
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
      const stage = spawnPartitionStage(ctx.stage, partition);
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
  const pauseWhileFull = (topic: string, partition: number, stage: PartitionStage) => {
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
    let ticks: Tick[] = [];
    let maxTs = -Infinity;
    let endAt = -1;
    const send = async () => {
      if (ticks.length === 0) return;
      const batch = ticks;
      ticks = [];
      const w = p.stage.aggregator.tellBatch(batch);
      if (w) await w;
    };
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      if (isEndOfInput(m.headers)) {
        await send();
        endAt = i;
        continue;
      }
      const r = decodeTick(m.value, m.headers, ctx.parser);
      if (r.ok) {
        ticks.push(r.tick);
        if (r.tick.ts > maxTs) maxTs = r.tick.ts;
      } else {
        const w = deadLetter({
          reason: r.reason,
          detail: r.detail,
          raw: m.value ? new TextDecoder().decode(m.value) : "",
          source: `${topic}/${partition}@${m.offset}`,
          ts: clock.now(),
        }, m.value ? new Uint8Array(m.value) : undefined);
        if (w) await w;
      }
    }
    await send();
    pauseWhileFull(topic, partition, p.stage);
    const first = Number(messages[0].offset);
    const next = Number(messages[messages.length - 1].offset) + 1;
    p.tracker.add(first, next, maxTs);
    if (endAt >= 0) {
      await barrier<AggregatorMessage>(p.stage.aggregator);
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
      await barrier<AggregatorMessage>(p.stage.aggregator, "sync");
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
  return { stop: () => system.stop(ref) };
}
