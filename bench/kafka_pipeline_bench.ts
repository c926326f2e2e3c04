/**
 * The Kafka roles end to end, each against raw kafkajs in the same run (librdkafka mock cluster in
 * a child process, 64 partitions, 100 symbols, 320 k ticks; the mock drops a partition's oldest
 * data past a few MB, so more data needs more partitions, and the role's tick count is checked):
 *
 * - `kafka_process_role`: the `process` role consuming N ticks into candles, indicators and alerts
 *   with no store (a null sink), vs a raw kafkajs `eachBatch` that only counts. Both are timed from
 *   the first record to the last (the ~3 s group join is left out; the role's clock starts when
 *   its first tick reaches the latest view, so at most one batch late). Median of 7 paired rounds
 *   after a warm-up round.
 * - `kafka_ingest_role`: the `ingest` role replaying N ticks from NDJSON into Kafka, vs reading and
 *   parsing the same file and sending raw kafkajs batches of 1000.
 *
 * Run: `deno run -A --v8-flags=--expose-gc bench/kafka_pipeline_bench.ts` (needs librdkafka1).
 * @module
 */
import { type Kafka, logLevel, type Message, Partitioners } from "kafkajs";
import { Kafka as KafkaClient } from "kafkajs";
import { loadConfig } from "../src/config/load_config.ts";
import { DEFAULT_TOPICS } from "../src/connectors/kafka/kafka_config.ts";
import { encodeTick } from "../src/connectors/kafka/tick_codec.ts";
import { readLines } from "../src/feeds/line_reader.ts";
import { silentLogger } from "../src/logger.ts";
import type { Tick } from "../src/market/tick.ts";
import { startPipeline } from "../src/pipeline/pipeline.ts";
import { librdkafkaInstalled, startKafkaMock } from "../tests/helpers/kafka_mock.ts";
import { report, round } from "./measure.ts";

const PARTITIONS = 64;
const N = 320_000;
const ROUNDS = 7;
const SYMBOLS = Array.from({ length: 100 }, (_, i) => `C${i}-USD`);
const tickAt = (i: number): Tick => ({
  source: "bench",
  symbol: SYMBOLS[i % SYMBOLS.length],
  price: 20_000 + (i % 1000) / 8,
  size: (i % 17) / 16 + 0.01,
  ts: 1_700_000_000_000 + i * 5,
  id: String(i),
});

if (!librdkafkaInstalled()) {
  report({ bench: "kafka_pipeline", skipped: "librdkafka1 is not installed" });
  Deno.exit(0);
}

const dir = await Deno.makeTempDir();
const mock = await startKafkaMock({
  brokers: 1,
  topics: Object.values(DEFAULT_TOPICS).map((name) => ({ name, partitions: PARTITIONS })),
});
const kafka = new KafkaClient({ brokers: [...mock.brokers], logLevel: logLevel.NOTHING });
try {
  await fill(kafka);
  // Short runs on a shared 2-core machine are noisy (the same raw run varies by half from one
  // round to the next): each process-role run is paired with a raw run beside it, on the same
  // records, in alternating order (so neither side always runs second), and the median of the
  // paired ratios is reported. Round 0 warms both up (JIT) and is not counted.
  const rounds: { raw: number; processed: number }[] = [];
  for (let r = 0; r <= ROUNDS; r++) {
    let raw = 0;
    if (r % 2 === 0) raw = await rawConsume(kafka, `raw-count-${r}`);
    const processed = await processRole(mock.bootstrap, `bench-process-${r}`);
    if (r % 2 === 1) raw = await rawConsume(kafka, `raw-count-${r}`);
    if (r > 0) rounds.push({ raw, processed });
  }
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const ratios = rounds.map((r) => round(r.processed / r.raw));
  report({
    bench: "kafka_process_role",
    msgs_per_s: Math.round(mid(rounds.map((r) => r.processed))),
    baseline: "kafkajs_each_batch_count",
    baseline_msgs_per_s: Math.round(mid(rounds.map((r) => r.raw))),
    ratio: mid([...ratios]),
    ratios,
    ticks: N,
  });
  const file = `${dir}/ticks.ndjson`;
  await Deno.writeTextFile(
    file,
    Array.from({ length: N }, (_, i) => JSON.stringify(tickAt(i))).join("\n") + "\n",
  );
  const rawSend = await rawProduce(kafka, file);
  const ingest = await ingestRole(mock.bootstrap, file);
  report({
    bench: "kafka_ingest_role",
    msgs_per_s: Math.round(ingest),
    baseline: "ndjson_parse_kafkajs_send",
    baseline_msgs_per_s: Math.round(rawSend),
    ratio: round(ingest / rawSend),
    ticks: N,
  });
} finally {
  await mock.stop();
  await Deno.remove(dir, { recursive: true });
}

/** N ticks in big per-partition batches, then an end-of-input marker on every partition. */
async function fill(kafka: Kafka): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const perPartition = 500;
  for (let base = 0; base < N; base += PARTITIONS * perPartition) {
    const messages: Message[] = [];
    for (let i = base; i < Math.min(N, base + PARTITIONS * perPartition); i++) {
      messages.push(encodeTick(tickAt(i)));
    }
    await producer.send({ topic: DEFAULT_TOPICS.ticks, messages, acks: 1 });
  }
  const ends = Array.from({ length: PARTITIONS }, (_, p) => ({
    partition: p,
    key: null,
    value: null,
    headers: { control: "end-of-input" },
  }));
  await producer.send({ topic: DEFAULT_TOPICS.ticks, messages: ends, acks: 1 });
  await producer.disconnect();
}

async function rawConsume(kafka: Kafka, groupId: string): Promise<number> {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 6000,
    maxWaitTimeInMs: 100,
  });
  const done = Promise.withResolvers<void>();
  let n = 0;
  let t0 = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [DEFAULT_TOPICS.ticks], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: ({ batch }) => {
      if (n === 0) t0 = performance.now();
      n += batch.messages.length;
      if (n >= N + PARTITIONS) done.resolve();
      return Promise.resolve();
    },
  });
  await done.promise;
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  return N / seconds;
}

async function processRole(bootstrap: string, group: string): Promise<number> {
  const r = loadConfig({
    args: [
      "--role=process",
      `--kafka-brokers=${bootstrap}`,
      `--kafka-group=${group}`,
      "--kafka-session-timeout=6s",
      "--sqlite=",
      "--http=off",
    ],
    env: () => undefined,
  });
  if (r.kind !== "ok") throw new Error(JSON.stringify(r));
  const pipeline = await startPipeline(r.config, { logger: silentLogger });
  let t0 = 0;
  const first = setInterval(() => {
    if (pipeline.latest.tickCount > 0 && t0 === 0) t0 = performance.now();
  }, 2);
  await pipeline.drained;
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(first);
  // The mock drops a partition's oldest data past ~5 MB: a figure over fewer ticks would lie.
  if (pipeline.latest.tickCount !== N) {
    throw new Error(`the process role saw ${pipeline.latest.tickCount} ticks, not ${N}`);
  }
  await pipeline.stop();
  return N / seconds;
}

async function rawProduce(kafka: Kafka, file: string): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const t0 = performance.now();
  let batch: Message[] = [];
  for await (const chunk of readLines(file)) {
    if (chunk.kind !== "lines") continue; // a line too long or not UTF-8
    for (const line of chunk.lines) {
      if (!line) continue;
      batch.push(encodeTick(JSON.parse(line)));
      if (batch.length === 1000) {
        await producer.send({ topic: "bench.raw", messages: batch });
        batch = [];
      }
    }
  }
  if (batch.length) await producer.send({ topic: "bench.raw", messages: batch });
  const seconds = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return N / seconds;
}

async function ingestRole(bootstrap: string, file: string): Promise<number> {
  const r = loadConfig({
    args: [
      "--role=ingest",
      `--kafka-brokers=${bootstrap}`,
      "--source=replay",
      `--replay-file=${file}`,
      "--no-mark-end",
      "--sqlite=",
      "--http=off",
    ],
    env: () => undefined,
  });
  if (r.kind !== "ok") throw new Error(JSON.stringify(r));
  const t0 = performance.now();
  const pipeline = await startPipeline(r.config, { logger: silentLogger });
  await pipeline.drained;
  const seconds = (performance.now() - t0) / 1000;
  await pipeline.stop();
  return N / seconds;
}
