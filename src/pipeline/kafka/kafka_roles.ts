/**
 * Kafka mode: the roles of one instance over a Kafka bus, as the pipeline's topology
 * (topology.ts): sources deliver to the producer; end of input marks every partition; the
 * consumer groups are left first at a stop and the producer closed last.
 * - ingest: feeds → `crypto.ticks` (key = symbol) and rejected input → `crypto.ticks.dlq`; a
 *   finite replay ends with an end-of-input marker on every partition.
 * - process: a consumer-group member, one stage per assigned partition (kafka_process_role.ts).
 * - archive: its own consumer group, raw ticks into the raw-tick stores (kafka_archive_role.ts).
 * @module
 */
import { kafkaOptions } from "../../config/connector_options.ts";
import { type PipelineConfig, usesPlatformatic } from "../../config/pipeline_config.ts";
import { createClient, type KafkaClient } from "../../connectors/kafka/kafka_client.ts";
import { type KafkaConfig, parseKafkaConfig } from "../../connectors/kafka/kafka_config.ts";
import { createKafkaProducer, type KafkaProducer } from "../../connectors/kafka/kafka_producer.ts";
import { loadPlatformatic } from "../../connectors/kafka/platformatic_module.ts";
import { kafkaTopicStore } from "../../connectors/kafka/kafka_topic_store.ts";
import {
  encodeDeadLetter,
  encodeTick,
  endOfInputRecord,
} from "../../connectors/kafka/tick_codec.ts";
import { ensureTopics, pipelineTopics } from "../../connectors/kafka/topics.ts";
import type { Store } from "../../connectors/store.ts";
import type { TickOutput } from "../../feeds/source.ts";
import type { Topology } from "../topology.ts";
import type { Logger } from "../../logger.ts";
import type { DeadLetter } from "../../market/dead_letter.ts";
import type { TickParser } from "../../market/tick_parser.ts";
import type { Registry } from "../../telemetry/metrics.ts";
import type { CandleHistory } from "../candle_history.ts";
import { topicPartitions } from "./kafka_admin.ts";
import { startArchiveRole } from "./archive_role.ts";
import { startProcessRole } from "./process_role.ts";
import type { StageContext } from "../partition_stage.ts";

/** The Kafka client, topics and producer of one instance, made before the stores. */
export interface KafkaConnection {
  readonly kafka: KafkaClient;
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
  const kconfig = parseKafkaConfig(kafkaOptions(config));
  if (usesPlatformatic(config)) await loadPlatformatic();
  const kafka = createClient(config.kafka.client, kconfig, {
    logger: deps.log,
    registry: deps.registry,
  });
  // The producer may run on the other library: its sends cost the ingest path most of its CPU,
  // and @platformatic/kafka's cost 2.6× less (docs/kafka.md, "The default").
  const producerKafka = config.kafka.producerClient === config.kafka.client
    ? kafka
    : createClient(config.kafka.producerClient, kconfig, { logger: deps.log });
  await ensureTopics(kafka, pipelineTopics(kconfig), {
    logger: deps.log.child("kafka"),
    registry: deps.registry,
  });
  const producer = createKafkaProducer({
    kafka: producerKafka,
    lingerMs: config.kafka.lingerMs,
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

/** What each role is started with. */
export interface RoleContext {
  readonly connection: KafkaConnection;
  readonly stage: StageContext;
  readonly parser: TickParser;
  readonly log: Logger;
  readonly history: CandleHistory | null;
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
): Topology {
  const { config, routes } = o.stage;
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

  const roleContext: RoleContext = {
    connection,
    stage: o.stage,
    parser: o.parser,
    log,
    history: o.history,
  };
  const readers: { stop(): Promise<void> }[] = [];
  if (pending.process) {
    readers.push(startProcessRole(roleContext, deadLetter, () => {
      pending.process = false;
      checkDrained();
    }));
  }
  if (pending.archive) {
    readers.push(startArchiveRole(roleContext, () => {
      pending.archive = false;
      checkDrained();
    }));
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
        const w = producer.send(topics.ticks, endOfInputRecord(partition));
        if (w) await w;
      }
      await producer.flush();
      log.info("input produced; end-of-input marked", { partitions: partitions.length });
      pending.ingest = false;
      checkDrained();
    },
    async stopInputs() {
      for (const r of readers) await r.stop();
    },
    close: () => producer.stop(),
  };
}
