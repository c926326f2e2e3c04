/**
 * Kafka mode: the roles of one instance over a Kafka bus.
 * - ingest: feeds → `crypto.ticks` (key = symbol) and rejected input → `crypto.ticks.dlq`; a
 *   finite replay ends with an end-of-input marker on every partition.
 * - process: a consumer-group member; each assigned partition gets its own stage (window
 *   aggregator → analytics → stores). Commits follow src/bus/commit_tracker.ts: only what every
 *   store acknowledged and no open or revisable window still needs, with the watermark reached so
 *   far as commit metadata. A new owner restores that watermark, then replays from the commit, so
 *   it rebuilds the same windows before it emits anything new.
 * - archive: its own consumer group; raw ticks into the raw-tick stores, committed per batch once
 *   durable.
 * @module
 */
import type { Kafka, KafkaMessage } from "kafkajs";
import type { AggregatorMessage } from "../../actors/aggregators/window_aggregator.ts";
import { kafkaReaderProps } from "../../actors/readers/kafka_reader.ts";
import { CommitTracker } from "../bus/commit_tracker.ts";
import type { PipelineConfig } from "../config/pipeline_config.ts";
import { createKafkaClient } from "../connectors/kafka/kafka_client.ts";
import { type KafkaConfig, parseKafkaConfig } from "../connectors/kafka/kafka_config.ts";
import { createKafkaConsumer, type TopicPartition } from "../connectors/kafka/kafka_consumer.ts";
import { createKafkaProducer, type KafkaProducer } from "../connectors/kafka/kafka_producer.ts";
import { kafkaTopicStore } from "../connectors/kafka/kafka_topic_store.ts";
import {
  decodeTick,
  encodeDeadLetter,
  encodeTick,
  headerString,
} from "../connectors/kafka/tick_codec.ts";
import { ensureTopics, pipelineTopics } from "../connectors/kafka/topics.ts";
import type { Store } from "../connectors/store.ts";
import type { TickOutput } from "../feeds/source.ts";
import type { Logger } from "../logger.ts";
import type { DeadLetter } from "../market/dead_letter.ts";
import type { Tick } from "../market/tick.ts";
import type { TickParser } from "../market/tick_parser.ts";
import type { Registry } from "../telemetry/metrics.ts";
import type { CandleHistory } from "./candle_history.ts";
import { barrier, tellAndWait } from "./messaging.ts";
import { type PartitionStage, spawnPartitionStage, type StageContext } from "./partition_stage.ts";

/** Header marking the end-of-input record a finite replay writes to every partition. */
export const CONTROL_HEADER = "control";
const END_OF_INPUT = "end-of-input";

/** The Kafka client, topics and producer of one instance, made before the stores. */
export interface KafkaConnection {
  readonly kafka: Kafka;
  readonly config: KafkaConfig;
  readonly producer: KafkaProducer;
  /** Candles and alerts topics as a store (process role). */
  readonly topicStore: Store | null;
}

/** Connects, makes sure the topics exist, starts the producer. */
export async function connectKafka(
  config: PipelineConfig,
  deps: { log: Logger; registry: Registry },
): Promise<KafkaConnection> {
  const kconfig = parseKafkaConfig({
    brokers: config.kafkaBrokers ?? [],
    partitions: config.kafka.partitions,
  });
  const kafka = createKafkaClient(kconfig, { logger: deps.log });
  await ensureTopics(kafka, pipelineTopics(kconfig), {
    logger: deps.log.child("kafka"),
    registry: deps.registry,
  });
  const producer = createKafkaProducer({
    kafka,
    registry: deps.registry,
    logger: deps.log.child("kafka.producer"),
  });
  await producer.start();
  const processes = config.role === "all" || config.role === "process";
  return {
    kafka,
    config: kconfig,
    producer,
    topicStore: processes ? kafkaTopicStore(producer, kconfig.topics) : null,
  };
}

/** What the composition root uses of the Kafka roles. */
export interface KafkaRoles {
  /** Where sources deliver (ingest). */
  readonly output: TickOutput;
  /** A finite input ended: flush the producer and mark the end of every partition. */
  endOfInput(): Promise<void>;
  /** Leave the consumer groups (first, before the stages drain). */
  stopConsumers(): Promise<void>;
  /** Flush and close the producer (last). */
  close(): Promise<void>;
}

interface OwnedPartition {
  readonly stage: PartitionStage;
  readonly tracker: CommitTracker;
  lastCommit: number;
}

/** Starts the roles the config asks for. `onDrained` runs when a finite input is fully handled. */
export function startKafkaRoles(
  connection: KafkaConnection,
  o: {
    stage: StageContext;
    parser: TickParser;
    log: Logger;
    onDrained: () => void;
    /** Stored candles a new owner warms indicators and rules from; none: they start cold. */
    history: CandleHistory | null;
  },
): KafkaRoles {
  const { config, system, clock, registry, routes } = o.stage;
  const { kafka, producer } = connection;
  const topics = connection.config.topics;
  const role = config.role;
  const log = o.log.child("kafka");
  const pending = {
    process: role === "all" || role === "process",
    archive: role === "all" || role === "archive",
    ingest: role === "all" || role === "ingest",
  };
  const checkDrained = () => {
    if (!pending.ingest && !pending.process && !pending.archive) o.onDrained();
  };

  const deadLetter = (d: DeadLetter, original?: Uint8Array) => {
    const dlq = producer.send(topics.ticksDlq, encodeDeadLetter(d, original));
    const stored = routes.deadLetters([d]);
    return dlq && stored ? Promise.all([dlq, stored]).then(() => {}) : dlq ?? stored;
  };
  const output: TickOutput = {
    tick: (t) => producer.send(topics.ticks, encodeTick(t)),
    deadLetter: (d) => deadLetter(d),
  };

  const readers: { stop(): Promise<void> }[] = [];
  const longest = Math.max(...o.stage.intervals.map((i) => i.ms));
  if (pending.process) {
    const owned = new Map<number, OwnedPartition>();
    const stopping = new Map<number, Promise<void>>();
    const ended = new Set<number>();
    let consumerRef: ReturnType<typeof createKafkaConsumer> | null = null;
    const group = config.kafka.group;

    let partitionCount = 0;
    const assign = async (parts: TopicPartition[]) => {
      const committed = await committedMetadata(kafka, group, topics.ticks);
      partitionCount ||= (await topicPartitions(kafka, topics.ticks)).length;
      for (const { partition } of parts) {
        await stopping.get(partition);
        const maxTsBefore = committed.get(partition);
        const stage = spawnPartitionStage(o.stage, partition);
        if (o.history) {
          const rows = await o.history.forPartition(partition, partitionCount, config.intervals);
          if (rows.length) await tellAndWait(stage.analytics, { kind: "warmup", rows });
        }
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
    // Fetching more for a partition whose stage is nearly full only fills memory: pause it until
    // the stage has drained to a quarter (the member keeps heartbeating meanwhile).
    const paused = new Set<number>();
    const pauseWhileFull = (topic: string, partition: number, stage: PartitionStage) => {
      const ref = stage.aggregator;
      if (paused.has(partition) || ref.size < ref.capacity * 0.75) return;
      paused.add(partition);
      consumerRef?.pause(topic, partition);
      const check = () => {
        if (owned.get(partition)?.stage !== stage || ref.size <= ref.capacity * 0.25) {
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
        if (m.headers && headerString(m.headers, CONTROL_HEADER) === END_OF_INPUT) {
          await send();
          endAt = i;
          continue;
        }
        const r = decodeTick(m.value, m.headers, o.parser);
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
          pending.process = false;
          checkDrained();
        }
        return;
      }
      if (clock.monotonic() - p.lastCommit >= config.kafka.commitIntervalMs) {
        const point = p.tracker.commitPoint();
        await new Promise<void>((resolve, reject) => {
          try {
            const w = p.stage.aggregator.tell({ kind: "sync", done: resolve });
            if (w) w.catch(reject);
          } catch (e) {
            reject(e);
          }
        });
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
    readers.push({ stop: () => system.stop(ref) });
  }

  if (pending.archive) {
    const ended = new Set<number>();
    let consumerRef: ReturnType<typeof createKafkaConsumer> | null = null;
    const onBatch = async (topic: string, partition: number, messages: KafkaMessage[]) => {
      if (messages.length === 0) return;
      const ticks: Tick[] = [];
      let sawEnd = false;
      for (const m of messages) {
        if (m.headers && headerString(m.headers, CONTROL_HEADER) === END_OF_INPUT) {
          sawEnd = true;
          continue;
        }
        // Rejected records are the process role's to dead-letter; the archive keeps valid ticks.
        const r = decodeTick(m.value, m.headers, o.parser);
        if (r.ok) ticks.push(r.tick);
      }
      if (ticks.length) {
        const w = routes.ticks(ticks);
        if (w) await w;
        await routes.flush();
      }
      await consumerRef?.commit(topic, partition, Number(messages[messages.length - 1].offset) + 1);
      if (sawEnd) {
        ended.add(partition);
        const assigned = consumerRef?.assignment() ?? [];
        if (assigned.length > 0 && assigned.every((tp) => ended.has(tp.partition))) {
          pending.archive = false;
          checkDrained();
        }
      }
    };
    const ref = system.spawn(kafkaReaderProps("reader-archive", (onCrash) => {
      consumerRef = createKafkaConsumer({
        kafka,
        groupId: config.kafka.archiveGroup,
        topics: [topics.ticks],
        fromBeginning: true,
        sessionTimeout: config.kafka.sessionTimeoutMs,
        registry,
        logger: log.child("archive"),
        clock,
        handlers: { onBatch, onCrash },
      });
      return consumerRef;
    }));
    readers.push({ stop: () => system.stop(ref) });
  }

  return {
    output,
    async endOfInput() {
      await producer.flush();
      if (!config.kafka.markEnd) {
        log.info("input produced (no end-of-input markers)");
        pending.ingest = false;
        checkDrained();
        return;
      }
      const partitions = await topicPartitions(kafka, topics.ticks);
      for (const partition of partitions) {
        const w = producer.send(topics.ticks, {
          partition,
          key: null,
          value: null,
          headers: { [CONTROL_HEADER]: END_OF_INPUT, "schema-version": "1" },
        });
        if (w) await w;
      }
      await producer.flush();
      log.info("input produced; end-of-input marked", { partitions: partitions.length });
      pending.ingest = false;
      checkDrained();
    },
    async stopConsumers() {
      for (const r of readers) await r.stop();
    },
    close: () => producer.stop(),
  };
}

/** Committed offsets' metadata of a group: partition → max event time before the commit. */
async function committedMetadata(kafka: Kafka, groupId: string, topic: string) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<number, number>();
    for (const t of await admin.fetchOffsets({ groupId, topics: [topic] })) {
      for (const p of t.partitions) {
        if (!p.metadata) continue;
        try {
          const meta = JSON.parse(p.metadata) as { maxTs?: number | null };
          if (typeof meta.maxTs === "number") out.set(p.partition, meta.maxTs);
        } catch {
          // Not ours (another tool committed): start without a restored watermark.
        }
      }
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

async function topicPartitions(kafka: Kafka, topic: string): Promise<number[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0].partitions.map((p) => p.partitionId).sort((a, b) => a - b);
  } finally {
    await admin.disconnect();
  }
}
