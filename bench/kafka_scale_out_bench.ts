/**
 * Scale-out of the `process` role: one, then two instances (each its own process, as deployed) in
 * one consumer group on the librdkafka mock cluster (its own process, one broker), the same input:
 * N ticks over P partitions with an end marker on each. Per round, in an order rotated each round:
 *
 * - `raw`: a kafkajs `eachBatch` that only counts, in this process (the client's own ceiling);
 * - `one`: one instance; `two`: two instances joining the group at once (the mock's ~3 s initial
 *   rebalance delay puts both in the first generation; a run where they did not is refused).
 *
 * The group figure is N / (last tick processed by any instance − first record consumed by any
 * instance), the raw consumer's clock likewise starting at its first batch. Where the time
 * goes: each instance's CPU seconds over its own first-to-last window, the broker's CPU over the
 * run (from /proc), each as cores used. With 2 cores, the broker and the instances share them:
 * the `cores` fields say how much of the 2 the run used.
 *
 * One JSON line per instance count: `one` against `raw` (ratio), `two` against `one` (ratio =
 * scaling factor), medians of the paired per-round ratios over ROUNDS rounds after a warm-up, with
 * their range. P defaults to 64 and N to 400 k: the mock keeps only a few MB per partition and
 * silently drops older records (a run of 1 M ticks over 64 partitions never saw all of them), so
 * a run that loses data fails at RUN_DEADLINE_MS instead of waiting forever.
 *
 * Run: `deno run -A bench/kafka_scale_out_bench.ts` (needs librdkafka1); `SCALE_OUT_TICKS`,
 * `SCALE_OUT_PARTITIONS`, `SCALE_OUT_ROUNDS` (default 3), `SCALE_OUT_CLIENT` (kafkajs).
 * @module
 */
import { Kafka, logLevel } from "kafkajs";
import { DEFAULT_TOPICS } from "../src/connectors/kafka/kafka_config.ts";
import { librdkafkaInstalled, startKafkaMock } from "../tests/helpers/kafka_mock.ts";
import { fillTicks } from "./kafka_fill.ts";
import { kafkajsCount } from "./kafka_raw_clients.ts";
import { report, round } from "./measure.ts";

const N = Number(Deno.env.get("SCALE_OUT_TICKS") ?? 400_000);
const PARTITIONS = Number(Deno.env.get("SCALE_OUT_PARTITIONS") ?? 64);
const ROUNDS = Number(Deno.env.get("SCALE_OUT_ROUNDS") ?? 3);
const CLIENT = Deno.env.get("SCALE_OUT_CLIENT") ?? "kafkajs";
const INSTANCE = new URL("./scale_out_instance.ts", import.meta.url).pathname;
/** Longest one run may take: the mock drops data it cannot keep, and then nobody ever ends. */
const RUN_DEADLINE_MS = 180_000;
/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

interface Instance {
  first: number;
  last: number;
  ticks: number;
  cpu_s: number;
  rss_mb: number;
}

/** One run of `instances` members: the group's rate and where the CPU went. */
interface Run {
  ticks_per_s: number;
  seconds: number;
  instances: Instance[];
  broker_cpu_s: number;
}

if (!librdkafkaInstalled()) {
  report({ bench: "kafka_scale_out", skipped: "librdkafka1 is not installed" });
  Deno.exit(0);
}

/**
 * A run whose members did not share the partitions from the start (see `group`). Declared before
 * the top-level code: a class is not hoisted, and the first refused run met it uninitialised.
 */
class RefusedRun extends Error {}

const load0 = await loadAverage();
const mock = await startKafkaMock({
  brokers: 1,
  topics: Object.values(DEFAULT_TOPICS).map((name) => ({ name, partitions: PARTITIONS })),
});
const kafka = new Kafka({ brokers: [...mock.brokers], logLevel: logLevel.NOTHING });
try {
  await fillTicks(kafka, DEFAULT_TOPICS.ticks, { n: N, partitions: PARTITIONS });
  const raw: number[] = [];
  const one: Run[] = [];
  const two: Run[] = [];
  const kinds = ["raw", "one", "two"] as const;
  for (let r = 0; r <= ROUNDS; r++) {
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[(i + r) % kinds.length];
      progress(`round ${r}: ${kind}`);
      if (kind === "raw") {
        const v = await within(
          kafkajsCount(kafka, DEFAULT_TOPICS.ticks, `raw-${r}`, N + PARTITIONS),
          `the raw consumer, round ${r}`,
        );
        if (r > 0) raw.push(v);
      } else {
        const run = await retryRefused(
          (attempt) =>
            within(
              group(kind === "one" ? 1 : 2, `scale-${kind}-${r}-${attempt}`),
              `${kind} instance(s), round ${r}`,
            ),
        );
        if (r > 0) (kind === "one" ? one : two).push(run);
      }
    }
  }
  const load1 = await loadAverage();
  reportRuns(1, one, raw, "kafkajs_each_batch_count", [load0, load1]);
  reportRuns(2, two, one.map((x) => x.ticks_per_s), "one_instance", [load0, load1]);
} finally {
  await mock.stop();
}

/** Runs `n` instances in a fresh group until each drained its partitions. */
async function group(n: number, groupId: string): Promise<Run> {
  const broker0 = await cpuSeconds(mock.pid);
  const children = Array.from({ length: n }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", INSTANCE, mock.bootstrap, groupId, CLIENT],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn());
  try {
    const instances = await Promise.all(children.map(async (child) => {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`an instance exited before reporting: ${text}`);
        text += value;
      }
      reader.releaseLock();
      return JSON.parse(text.split("\n")[0]) as Instance;
    }));
    const broker = await cpuSeconds(mock.pid) - broker0;
    const ticks = instances.reduce((s, x) => s + x.ticks, 0);
    // A member that joined a later generation took partitions over from the other: ticks seen
    // twice, and a figure that measures a rebalance, not the group.
    if (ticks !== N || instances.some((x) => x.ticks === 0)) {
      throw new RefusedRun(`${n} instances saw ${instances.map((x) => x.ticks)} ticks, not ${N}`);
    }
    const seconds = (Math.max(...instances.map((x) => x.last)) -
      Math.min(...instances.map((x) => x.first))) / 1000;
    return { ticks_per_s: N / seconds, seconds, instances, broker_cpu_s: broker };
  } finally {
    for (const child of children) {
      await child.stdin.close().catch(() => {});
      await child.stdout.cancel().catch(() => {});
      await child.status;
    }
  }
}

/**
 * `run` again in a fresh group when it was refused, up to 3 attempts: whether both members join
 * the first generation is the mock's timing, not something the figure should carry.
 */
async function retryRefused<T>(run: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await run(attempt);
    } catch (e) {
      if (!(e instanceof RefusedRun) || attempt === 2) throw e;
      progress(`refused (${e.message}); again in a fresh group`);
    }
  }
}

/** `work`, or a failure after RUN_DEADLINE_MS naming `what`. */
async function within<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${RUN_DEADLINE_MS} ms (data lost?)`)),
      RUN_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

function progress(text: string): void {
  // deno-lint-ignore no-console
  console.error(JSON.stringify({ progress: text, at: new Date().toISOString() }));
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}

function reportRuns(
  instances: number,
  runs: Run[],
  baseline: number[],
  baselineName: string,
  load: number[][],
): void {
  const ratios = runs.map((x, i) => round(x.ticks_per_s / baseline[i]));
  const per = (f: (x: Run) => number) => round(median(runs.map(f)), 2);
  report({
    bench: "kafka_scale_out",
    client: CLIENT,
    instances,
    ticks_per_s: Math.round(median(runs.map((x) => x.ticks_per_s))),
    ticks_per_s_range: [
      Math.round(Math.min(...runs.map((x) => x.ticks_per_s))),
      Math.round(Math.max(...runs.map((x) => x.ticks_per_s))),
    ],
    baseline: baselineName,
    baseline_ticks_per_s: Math.round(median(baseline)),
    ratio: median(ratios),
    ratio_range: [Math.min(...ratios), Math.max(...ratios)],
    ratios,
    // Cores used over the run: each instance over its own window, the broker over the whole run
    // (the group join included, when it is nearly idle: an upper bound on its share).
    instance_cores: runs[0].instances.map((_, k) =>
      per((x) => x.instances[k].cpu_s / ((x.instances[k].last - x.instances[k].first) / 1000))
    ),
    instance_cpu_s_per_m_ticks: per((x) =>
      x.instances.reduce((s, i) => s + i.cpu_s, 0) / (N / 1e6)
    ),
    // How far apart the instances started and finished reading (a late joiner shows here).
    first_tick_spread_s: per((x) => spread(x.instances.map((i) => i.first))),
    last_tick_spread_s: per((x) => spread(x.instances.map((i) => i.last))),
    broker_cpu_s_per_m_ticks: per((x) => x.broker_cpu_s / (N / 1e6)),
    broker_cores: per((x) => x.broker_cpu_s / x.seconds),
    instance_rss_mb: runs[0].instances.map((_, k) => per((x) => x.instances[k].rss_mb)),
    ticks: N,
    partitions: PARTITIONS,
    rounds: runs.length,
    load_average: load,
  });
}

function spread(ms: number[]): number {
  return (Math.max(...ms) - Math.min(...ms)) / 1000;
}

/** User + system CPU seconds of process `pid` so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

async function loadAverage(): Promise<number[]> {
  const text = await Deno.readTextFile("/proc/loadavg");
  return text.split(" ").slice(0, 3).map(Number);
}
