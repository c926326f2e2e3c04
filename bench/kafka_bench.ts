/**
 * Kafka connector throughput against the librdkafka mock cluster (in a child process, so its
 * broker threads stay off this process), each compared with raw kafkajs in the same run:
 *
 * - `kafka_consume_wrapper`: {@linkcode createKafkaConsumer} + tick decoding (count only) vs a raw
 *   kafkajs `eachBatch` that only counts. Timed from the first record to the last, so the ~3 s
 *   group join is not measured.
 * - `kafka_produce_wrapper`: {@linkcode createKafkaProducer} fed tick by tick (encoding included)
 *   vs raw kafkajs `send()` of pre-built 1000-record batches (encoding included).
 *
 * Mock limits shape the set-up: it keeps ~5 MB per partition (older data is dropped and a consumer
 * waiting for it waits forever) and returns one record batch per partition per fetch, so data is
 * written in large per-partition batches over 32 partitions.
 *
 * Run: `deno run -A --v8-flags=--expose-gc bench/kafka_bench.ts` (needs librdkafka1).
 * @module
 */
import { type Kafka, type Message, Partitioners } from "kafkajs";
import { createKafkaClient } from "../src/connectors/kafka/kafka_client.ts";
import { parseKafkaConfig } from "../src/connectors/kafka/kafka_config.ts";
import { createKafkaConsumer } from "../src/connectors/kafka/kafka_consumer.ts";
import { createKafkaProducer } from "../src/connectors/kafka/kafka_producer.ts";
import { decodeTick, encodeTick } from "../src/connectors/kafka/tick_codec.ts";
import { silentLogger } from "../src/logger.ts";
import type { Tick } from "../src/market/tick.ts";
import { TickParser } from "../src/market/tick_parser.ts";
import { librdkafkaInstalled, startKafkaMock } from "../tests/helpers/kafka_mock.ts";
import { report, round } from "./measure.ts";

const PARTITIONS = 32;
const CONSUME_N = 192_000; // ~30 MB: ~1 MB per partition, well under the mock's ~5 MB
const PER_PARTITION_BATCH = 500;
const PRODUCE_N = 60_000;
const PRODUCE_BATCH = 1000;
const RUNS = 4;
const GROUP = {
  sessionTimeout: 6000,
  rebalanceTimeout: 6000,
  heartbeatInterval: 1000,
  maxWaitTimeInMs: 100,
  concurrency: 4,
};

const SYMBOLS = Array.from({ length: 50 }, (_, i) => `C${i}-USD`);

function tickAt(i: number): Tick {
  return {
    source: "simulator",
    symbol: SYMBOLS[i % SYMBOLS.length],
    price: 20_000 + (i % 1000) / 8,
    size: (i % 17) / 16,
    ts: 1_700_000_000_000 + i,
    id: String(i),
    side: i % 2 === 0 ? "buy" : "sell",
  };
}

/** Writes CONSUME_N ticks as big per-partition batches (one fetch returns one batch per partition). */
async function fill(kafka: Kafka, topic: string): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let base = 0; base < CONSUME_N; base += PARTITIONS * PER_PARTITION_BATCH) {
    const messages: Message[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      for (let j = 0; j < PER_PARTITION_BATCH; j++) {
        const i = base + p * PER_PARTITION_BATCH + j;
        if (i < CONSUME_N) messages.push({ ...encodeTick(tickAt(i)), partition: p });
      }
    }
    await producer.send({ topic, messages, acks: 1 });
  }
  await producer.disconnect();
}

/**
 * Runs the variants round-robin (after one warm-up round) and returns each one's best msgs/s.
 * Interleaving matters here: the mock shares the two cores and drifts, so back-to-back blocks of
 * one variant would compare different machines. Each variant times itself (the consume runs must
 * leave the group join out, which `bestThroughput` cannot).
 */
async function bestRates(
  variants: readonly (() => Promise<number>)[],
  runs: number,
): Promise<number[]> {
  const best = variants.map(() => 0);
  for (let r = 0; r <= runs; r++) {
    for (const [i, fn] of variants.entries()) {
      (globalThis as { gc?: () => void }).gc?.();
      const rate = await fn();
      if (r > 0) best[i] = Math.max(best[i], rate);
    }
  }
  return best;
}

let groupSeq = 0;

/** Consumes CONSUME_N records with a fresh group; returns msgs/s from first record to last. */
async function consumeRaw(kafka: Kafka, topic: string): Promise<number> {
  const consumer = kafka.consumer({
    groupId: `raw-${groupSeq++}`,
    sessionTimeout: GROUP.sessionTimeout,
    rebalanceTimeout: GROUP.rebalanceTimeout,
    heartbeatInterval: GROUP.heartbeatInterval,
    maxWaitTimeInMs: GROUP.maxWaitTimeInMs,
  });
  const done = Promise.withResolvers<void>();
  let n = 0;
  let t0 = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: GROUP.concurrency,
    eachBatch: ({ batch }) => {
      if (n === 0) t0 = performance.now();
      n += batch.messages.length;
      if (n >= CONSUME_N) done.resolve();
      return Promise.resolve();
    },
  });
  await done.promise;
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  return n / seconds;
}

async function consumeWrapper(kafka: Kafka, topic: string, decode = true): Promise<number> {
  const parser = new TickParser();
  const done = Promise.withResolvers<void>();
  let n = 0;
  let bad = 0;
  let t0 = 0;
  const consumer = createKafkaConsumer({
    kafka,
    groupId: `wrapper-${groupSeq++}`,
    topics: [topic],
    sessionTimeout: GROUP.sessionTimeout,
    rebalanceTimeout: GROUP.rebalanceTimeout,
    heartbeatInterval: GROUP.heartbeatInterval,
    maxWaitTimeInMs: GROUP.maxWaitTimeInMs,
    partitionsConsumedConcurrently: GROUP.concurrency,
    handlers: {
      onBatch(_topic, _partition, messages) {
        if (n === 0) t0 = performance.now();
        if (decode) {
          for (const m of messages) {
            if (!decodeTick(m.value, m.headers, parser).ok) bad++;
          }
        }
        n += messages.length;
        if (n >= CONSUME_N) done.resolve();
      },
    },
  });
  await consumer.start();
  await done.promise;
  const seconds = (performance.now() - t0) / 1000;
  await consumer.stop();
  if (bad > 0) throw new Error(`${bad} ticks failed to decode`);
  return n / seconds;
}

let produceBase = 0;

async function produceRaw(kafka: Kafka, topic: string): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const base = produceBase += PRODUCE_N;
  const t0 = performance.now();
  for (let i = 0; i < PRODUCE_N; i += PRODUCE_BATCH) {
    const messages: Message[] = [];
    for (let j = i; j < i + PRODUCE_BATCH; j++) messages.push(encodeTick(tickAt(base + j)));
    await producer.send({ topic, messages, acks: -1 });
  }
  const seconds = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return PRODUCE_N / seconds;
}

async function produceWrapper(kafka: Kafka, topic: string): Promise<number> {
  const producer = createKafkaProducer({ kafka, batchSize: PRODUCE_BATCH, acks: -1 });
  await producer.start();
  const base = produceBase += PRODUCE_N;
  const t0 = performance.now();
  for (let i = 0; i < PRODUCE_N; i++) {
    const wait = producer.send(topic, encodeTick(tickAt(base + i)));
    if (wait) await wait;
  }
  await producer.flush();
  const seconds = (performance.now() - t0) / 1000;
  await producer.stop();
  return PRODUCE_N / seconds;
}

if (!librdkafkaInstalled()) {
  report({ bench: "kafka_consume_wrapper", skipped: "librdkafka1 is not installed" });
  Deno.exit(0);
}

const mock = await startKafkaMock({
  brokers: 3,
  topics: [
    { name: "bench.consume", partitions: PARTITIONS },
    { name: "bench.produce", partitions: PARTITIONS },
  ],
});
try {
  const kafka = createKafkaClient(parseKafkaConfig({ brokers: [...mock.brokers] }), {
    logger: silentLogger,
    level: "error",
  });
  await fill(kafka, "bench.consume");

  const [raw, wrapped, bare] = await bestRates([
    () => consumeRaw(kafka, "bench.consume"),
    () => consumeWrapper(kafka, "bench.consume"),
    () => consumeWrapper(kafka, "bench.consume", false),
  ], RUNS);
  const consumeLine = { baseline: "kafkajs_each_batch", n: CONSUME_N, partitions: PARTITIONS };
  report({
    bench: "kafka_consume_wrapper",
    msgs_per_s: Math.round(wrapped),
    ...consumeLine,
    baseline_msgs_per_s: Math.round(raw),
    ratio: round(wrapped / raw),
  });
  report({
    bench: "kafka_consume_wrapper_count_only",
    msgs_per_s: Math.round(bare),
    ...consumeLine,
    baseline_msgs_per_s: Math.round(raw),
    ratio: round(bare / raw),
  });

  const [rawSend, wrappedSend] = await bestRates([
    () => produceRaw(kafka, "bench.produce"),
    () => produceWrapper(kafka, "bench.produce"),
  ], RUNS);
  report({
    bench: "kafka_produce_wrapper",
    msgs_per_s: Math.round(wrappedSend),
    baseline: "kafkajs_send",
    baseline_msgs_per_s: Math.round(rawSend),
    ratio: round(wrappedSend / rawSend),
    n: PRODUCE_N,
    batch: PRODUCE_BATCH,
  });
} finally {
  await mock.stop();
}
