/**
 * The Kafka roles end to end on each client library, against both raw clients in the same run
 * (librdkafka mock cluster in a child process, 64 partitions, 100 symbols, 320 k ticks; the mock
 * drops a partition's oldest data past a few MB, so more data needs more partitions, and the
 * role's tick count is checked):
 *
 * - `kafka_process_role`: the `process` role (`--kafka-client` kafkajs, then platformatic)
 *   consuming N ticks into candles, indicators and alerts with no store (a null sink), vs a raw
 *   kafkajs `eachBatch` that only counts and raw `@platformatic/kafka` `fetch()`es that only count.
 *   All timed from the first record to the last (the ~3 s group join is left out; the role's
 *   clock starts when its first tick reaches the latest view, so at most one batch late).
 * - `kafka_ingest_role`: the `ingest` role replaying N ticks from NDJSON into Kafka on each
 *   client, vs reading and parsing the same file and sending raw batches of 1000 with each client.
 *
 * Every round runs the four of a kind back to back, in an order rotated each round; the figures
 * are medians over the rounds (after a warm-up round) of the per-round ratios, with their range.
 *
 * Run: `deno run -A --v8-flags=--expose-gc bench/kafka_pipeline_bench.ts` (needs librdkafka1).
 * @module
 */
import { Kafka as KafkaClient, logLevel } from "kafkajs";
import { loadConfig } from "../src/config/load_config.ts";
import { DEFAULT_TOPICS } from "../src/connectors/kafka/kafka_config.ts";
import { silentLogger } from "../src/logger.ts";
import { startPipeline } from "../src/pipeline/pipeline.ts";
import { startBenchProcessRole, watchFirstRecord } from "./process_role_start.ts";
import { librdkafkaInstalled, startKafkaMock } from "../tests/helpers/kafka_mock.ts";
import {
  kafkajsCount,
  kafkajsSend,
  platformaticCount,
  platformaticSend,
} from "./kafka_raw_clients.ts";
import { report, round } from "./measure.ts";
import { fillTicks, tickAt } from "./kafka_fill.ts";

const PARTITIONS = 64;
const N = 320_000;
const ROUNDS = Number(Deno.env.get("KAFKA_BENCH_ROUNDS") ?? 5);
const CLIENTS = ["kafkajs", "platformatic"] as const;
type Client = typeof CLIENTS[number];
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
  await fillTicks(kafka, DEFAULT_TOPICS.ticks, { n: N, partitions: PARTITIONS });
  const brokers = mock.brokers;
  const process = await paired({
    raw_kafkajs: (r) => kafkajsCount(kafka, DEFAULT_TOPICS.ticks, `raw-kjs-${r}`, N + PARTITIONS),
    raw_platformatic: () =>
      platformaticCount(brokers, DEFAULT_TOPICS.ticks, N + PARTITIONS, PARTITIONS),
    kafkajs: (r) => processRole(mock.bootstrap, `bench-kjs-${r}`, "kafkajs"),
    platformatic: (r) => processRole(mock.bootstrap, `bench-plt-${r}`, "platformatic"),
  });
  reportRole("kafka_process_role", process, "each_batch_count");
  const file = `${dir}/ticks.ndjson`;
  await Deno.writeTextFile(
    file,
    Array.from({ length: N }, (_, i) => JSON.stringify(tickAt(i))).join("\n") + "\n",
  );
  const ingest = await paired({
    raw_kafkajs: () => kafkajsSend(kafka, file, N),
    raw_platformatic: () => platformaticSend(brokers, file, N),
    kafkajs: () => ingestRole(mock.bootstrap, file, "kafkajs"),
    platformatic: () => ingestRole(mock.bootstrap, file, "platformatic"),
  });
  reportRole("kafka_ingest_role", ingest, "ndjson_parse_send");
} finally {
  await mock.stop();
  await Deno.remove(dir, { recursive: true });
}

type Series = Record<"raw_kafkajs" | "raw_platformatic" | Client, number[]>;

/**
 * Runs each of `runs` once per round, in an order rotated every round (so no run always follows
 * the same one); round 0 warms up (JIT) and is not counted.
 */
async function paired(
  runs: Record<keyof Series, (round: number) => Promise<number>>,
): Promise<Series> {
  const names = Object.keys(runs) as (keyof Series)[];
  const out = Object.fromEntries(names.map((n) => [n, [] as number[]])) as unknown as Series;
  for (let r = 0; r <= ROUNDS; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length];
      (globalThis as { gc?: () => void }).gc?.();
      const value = await runs[name](r);
      if (r > 0) out[name].push(value);
    }
  }
  return out;
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}

/** The role on each client against each raw client: median paired ratio and its range. */
function reportRole(bench: string, s: Series, baseline: string): void {
  for (const client of CLIENTS) {
    const vs = (raw: number[]) => {
      const ratios = s[client].map((v, i) => round(v / raw[i]));
      return { ratio: median(ratios), range: [Math.min(...ratios), Math.max(...ratios)] };
    };
    const kjs = vs(s.raw_kafkajs);
    const plt = vs(s.raw_platformatic);
    report({
      bench,
      client,
      msgs_per_s: Math.round(median(s[client])),
      baseline: `kafkajs_${baseline}`,
      baseline_msgs_per_s: Math.round(median(s.raw_kafkajs)),
      ratio: kjs.ratio,
      ratio_range: kjs.range,
      platformatic_baseline_msgs_per_s: Math.round(median(s.raw_platformatic)),
      ratio_to_platformatic: plt.ratio,
      ratio_to_platformatic_range: plt.range,
      ratios: s[client].map((v, i) => round(v / s.raw_kafkajs[i])),
      rounds: ROUNDS,
      ticks: N,
    });
  }
}

async function processRole(bootstrap: string, group: string, client: Client): Promise<number> {
  const pipeline = await startBenchProcessRole(bootstrap, group, client);
  const first = watchFirstRecord(pipeline);
  await pipeline.drained;
  first.stop();
  const seconds = first.seconds();
  // The mock drops a partition's oldest data past ~5 MB: a figure over fewer ticks would lie.
  if (pipeline.latest.tickCount !== N) {
    throw new Error(`the process role saw ${pipeline.latest.tickCount} ticks, not ${N}`);
  }
  await pipeline.stop();
  return N / seconds;
}

async function ingestRole(bootstrap: string, file: string, client: Client): Promise<number> {
  const r = loadConfig({
    args: [
      "--role=ingest",
      `--kafka-client=${client}`,
      `--kafka-producer-client=${client}`,
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
