/**
 * Shared pieces of the Kafka connector tests: a kafkajs client for a mock cluster built as the
 * pipeline builds it, tick fixtures, consumer defaults that form a group quickly on the mock, and
 * a consumer-group member that records what it receives.
 * @module
 */
import type { Kafka } from "kafkajs";
import { silentLogger } from "../../../src/logger.ts";
import type { Tick } from "../../../src/market/tick.ts";
import {
  createClient,
  createKafkaClient,
  KAFKA_CLIENTS,
  type KafkaClient,
  type KafkaClientKind,
} from "../../../src/connectors/kafka/kafka_client.ts";
import { parseKafkaConfig } from "../../../src/connectors/kafka/kafka_config.ts";
import {
  createKafkaConsumer,
  type KafkaConsumer,
  type KafkaConsumerOptions,
  type TopicPartition,
} from "../../../src/connectors/kafka/kafka_consumer.ts";
import { createKafkaProducer } from "../../../src/connectors/kafka/kafka_producer.ts";
import { decodeTick, encodeTick } from "../../../src/connectors/kafka/tick_codec.ts";
import { TickParser } from "../../../src/market/tick_parser.ts";
import type { KafkaMock } from "../../helpers/kafka_mock.ts";
import { loadPlatformatic } from "../../../src/connectors/kafka/platformatic_module.ts";
import type { Registry } from "../../../src/telemetry/metrics.ts";

export { skipKafkaTests, startKafkaMock } from "../../helpers/kafka_mock.ts";

/**
 * Group timings for tests: the mock needs sessionTimeout ≥ 4000 and a rebalance then takes about
 * sessionTimeout − 1000 ms, so 6000 keeps takeovers around 5 s.
 */
export const FAST_GROUP = {
  sessionTimeout: 6000,
  rebalanceTimeout: 6000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 100,
} as const;

/** A kafkajs client for `mock`, logging nowhere, with short retries (a test's own eyes). */
export function kafkaFor(mock: KafkaMock, clientId = "test"): Kafka {
  return createKafkaClient(
    parseKafkaConfig({ brokers: [...mock.brokers], clientId, requestTimeoutMs: 5000 }),
    { logger: silentLogger },
  );
}

/**
 * The client library the connector tests run the wrappers on: `KAFKA_CLIENT` (`kafkajs`, the
 * default, or `platformatic`). CI runs the Kafka tests once per client.
 */
export function testKafkaClient(): KafkaClientKind {
  const kind = Deno.env.get("KAFKA_CLIENT") || "kafkajs";
  if (!(KAFKA_CLIENTS as readonly string[]).includes(kind)) {
    throw new Error(`KAFKA_CLIENT must be one of ${KAFKA_CLIENTS.join(", ")}, received "${kind}"`);
  }
  return kind as KafkaClientKind;
}

// The library loads lazily in the product (src/connectors/kafka/platformatic_module.ts); the
// tests that build its clients directly load it here, once.
if (testKafkaClient() === "platformatic") await loadPlatformatic();

/**
 * The client under test ({@linkcode testKafkaClient}) for `mock`, as {@linkcode kafkaFor};
 * `registry` counts what the client itself reports (kafkajs' offset resets).
 */
export function clientFor(mock: KafkaMock, clientId = "test", registry?: Registry): KafkaClient {
  return createClient(
    testKafkaClient(),
    parseKafkaConfig({ brokers: [...mock.brokers], clientId, requestTimeoutMs: 5000 }),
    { logger: silentLogger, registry },
  );
}

const SYMBOLS = ["BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD", "XRP-USD", "DOT-USD", "LTC-USD"];

/** `n` distinct ticks over a few symbols, ids `0..n-1`. */
export function makeTicks(n: number, source = "simulator"): Tick[] {
  return Array.from({ length: n }, (_, i) => ({
    source,
    symbol: SYMBOLS[i % SYMBOLS.length],
    price: 100 + (i % 97) / 10,
    size: (i % 13) / 4,
    ts: 1_700_000_000_000 + i * 10,
    id: String(i),
    ...(i % 2 === 0 ? { side: "buy" as const } : {}),
  }));
}

/** Produces `ticks` to `topic` through the wrapper producer, spread round-robin over partitions. */
export async function produceTicks(
  kafka: KafkaClient,
  topic: string,
  ticks: readonly Tick[],
  partitions: number,
): Promise<void> {
  const producer = createKafkaProducer({ kafka, batchSize: 200, lingerMs: 1 });
  await producer.start();
  try {
    for (const tick of ticks) {
      await producer.send(topic, { ...encodeTick(tick), partition: Number(tick.id) % partitions });
    }
    await producer.flush();
  } finally {
    await producer.stop();
  }
}

/** What a test member saw. */
export interface Member {
  consumer: KafkaConsumer;
  /** Tick ids delivered, in delivery order. */
  seen: string[];
  /** Partition → offsets delivered. */
  offsets: Map<number, number[]>;
  assignedEvents: TopicPartition[][];
  revokedEvents: TopicPartition[][];
  /** Crash reports (none expected unless a test provokes one). */
  crashes: Error[];
}

/**
 * A consumer-group member that records what it receives and commits after every batch (the
 * simplest "every sink acknowledged" policy).
 */
export function recordingMember(
  kafka: KafkaClient,
  groupId: string,
  topic: string,
  extra: Partial<KafkaConsumerOptions> = {},
): Member {
  const parser = new TickParser();
  const member: Member = {
    seen: [],
    offsets: new Map(),
    assignedEvents: [],
    revokedEvents: [],
    crashes: [],
    consumer: undefined as unknown as KafkaConsumer,
  };
  member.consumer = createKafkaConsumer({
    kafka,
    groupId,
    topics: [topic],
    ...FAST_GROUP,
    ...extra,
    handlers: {
      onAssigned: (ps) => void member.assignedEvents.push(ps),
      onRevoked: (ps) => void member.revokedEvents.push(ps),
      onCrash: (error) => void member.crashes.push(error),
      async onBatch(t, partition, messages) {
        for (const m of messages) {
          const r = decodeTick(m.value, m.headers, parser);
          if (!r.ok) throw new Error(`undecodable record at ${t}/${partition}@${m.offset}`);
          member.seen.push(r.tick.id);
          const list = member.offsets.get(partition) ?? [];
          list.push(Number(m.offset));
          member.offsets.set(partition, list);
        }
        await member.consumer.commit(t, partition, Number(messages.at(-1)!.offset) + 1);
      },
      ...extra.handlers,
    },
  });
  return member;
}

/** Partition numbers of `tps`, sorted. */
export function partitionsOf(tps: readonly TopicPartition[]): number[] {
  return tps.map((tp) => tp.partition).sort((a, b) => a - b);
}
