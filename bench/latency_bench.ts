/**
 * Latency at a fixed offered rate: the pipeline (its own process, `src/main.ts`) fed by the
 * simulator at 10 ticks/ms (10 symbols × 1000/s) for 60 s, candles of 1 s and 1 m into SQLite (raw
 * ticks stored too, the default), embedded and in Kafka mode (role `all` through librdkafka's mock
 * cluster, 12 partitions: `deno run -A bench/latency_bench.ts [embedded] [kafka] [kafka_roles]`;
 * `kafka_roles` runs one process per role as the compose deployment does — `ingest` with the
 * simulator, `process` with the candles' SQLite file and the read API, `archive` with the raw
 * ticks in a SQLite file of its own), and this process watching it from outside:
 *
 * - `latest_price`: tick arrival → its price visible through the read API. The simulator emits a
 *   tick no earlier than its event time, so event time is its arrival; `/api/prices` is polled
 *   every millisecond (`POLL_MS`) and a price first seen in a response counts from its event time
 *   to the response's arrival (an upper bound: it may have been visible since the previous poll).
 * - `candle_stored`: the watermark passing a window's end → the candle in the SQLite file. The
 *   watermark is the newest event time minus the allowed lateness (2 s), so it passes the end at
 *   `end + 2 s` on the wall clock; the file is polled every 5 ms through its own connection.
 * - `alert_stored`: the same for the alerts of the candle rules (a candle's close → its alert).
 *
 * Reports p50/p99/max in ms of each and the achieved tick rate; `BENCH_LATENCY_SECONDS` and
 * `BENCH_LATENCY_RATE` (ticks/s per symbol) change the run. The pipeline's own histograms of the
 * same quantities (`pipeline_latest_price_delay_seconds`, `pipeline_window_close_to_write_seconds`)
 * are scraped at the end and their p99 bucket bounds reported beside.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import process from "node:process";
import { report, round } from "./measure.ts";
import { v8FlagsArg } from "../src/config/v8_flags.ts";
import { bucketQuantile, counterSum, quantiles } from "./latency_stats.ts";
import { KeepAliveGet } from "./keep_alive_get.ts";
import { librdkafkaInstalled } from "../tests/helpers/kafka_mock.ts";
import { startPipelineCluster } from "../tests/helpers/kafka_cluster.ts";

const SECONDS = Number(Deno.env.get("BENCH_LATENCY_SECONDS") ?? 60);
const RATE = Number(Deno.env.get("BENCH_LATENCY_RATE") ?? 1000);
const LATENESS_MS = 2000;
/**
 * Kafka-mode flags for the mock broker (`BENCH_KAFKA_ARGS` replaces them, space-separated). The
 * librdkafka mock answers a fetch with one record batch per partition, and holds a fetch that
 * found nothing for the whole `--kafka-fetch-max-wait` even when records arrive meanwhile (a real
 * broker answers as soon as they do). So on the mock a produce batch is what one fetch can take,
 * and each time the consumer catches up it stalls for the whole wait: 20 ms batches and a 20 ms
 * wait keep both short (docs/kafka.md, "Latency").
 */
const KAFKA_ARGS = (Deno.env.get("BENCH_KAFKA_ARGS") ??
  "--kafka-linger=20ms --kafka-fetch-max-wait=20ms").split(" ").filter(Boolean);
const INTERVALS: Record<string, number> = { "1s": 1000, "1m": 60_000 };
/**
 * The read API's polling period (ms). Polled back to back with `fetch` on `/api/latest` (16 KB of
 * candles and indicators for 10 symbols), the watching took about a quarter of the 2-core machine:
 * ~0.29 of a core in this process and ~25 % of the pipeline's main thread serving it, CPU the
 * pipeline under test then lacked. Now `/api/prices` (0.8 KB) over one kept-alive connection
 * (keep_alive_get.ts), every 1 ms: ~0.1 of a core here. The pacing adds at most about a
 * millisecond to a sample (a price first seen by a poll counts from its event time to that poll's
 * answer); 0 polls back to back.
 */
const POLL_MS = Number(Deno.env.get("BENCH_LATENCY_POLL_MS") ?? 1);
const root = new URL("..", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "latency-bench-" });
const port = 20_000 + Math.floor(Math.random() * 20_000);
const base = `http://127.0.0.1:${port}`;

const modes = Deno.args.length > 0 ? Deno.args : ["embedded", "kafka", "kafka_roles"];
for (const mode of modes) {
  if (mode === "embedded") await measure(mode, [], "35s");
  else if (mode === "kafka" || mode === "kafka_roles") await measureKafka(mode);
  else throw new Error(`unknown mode ${mode}: embedded, kafka or kafka_roles`);
}
await Deno.remove(dir, { recursive: true });

/**
 * Kafka mode through librdkafka's mock cluster (12 partitions per topic): role `all` in one
 * process (`kafka`), or one process per role (`kafka_roles`).
 */
async function measureKafka(mode: "kafka" | "kafka_roles"): Promise<void> {
  if (!librdkafkaInstalled()) {
    report({ bench: `latency_${mode}`, error: "librdkafka's mock cluster is not installed" });
    return;
  }
  // 12, the topics' default: the mock keeps ~5 MB per partition, and the warm-up burst must fit.
  const mock = await startPipelineCluster({ partitions: 12 });
  const kafka = [`--kafka-brokers=${mock.bootstrap}`, ...KAFKA_ARGS];
  try {
    // The warm-up is produced as fast as it can be: 35 s of it overflowed the mock's partitions
    // before the consumers read it (offsets out of range). 5 s warms nothing: the candle rules'
    // first alerts come half a minute into the measured minute.
    if (mode === "kafka") await measure(mode, kafka, "5s");
    else {
      // The watched process runs `process`; the others get the same flags and their own role.
      const archive = `${dir}/archive.db`;
      const { from, until } = await measure(mode, [...kafka, "--role=process"], "5s", [
        [...kafka, "--role=ingest", "--http=off", "--sqlite="],
        [...kafka, "--role=archive", "--http=off", `--sqlite=${archive}`],
      ]);
      // The archive kept up too: the raw ticks of the measured window it stored.
      const db = new DatabaseSync(archive, { readOnly: true });
      try {
        const { n } = db.prepare("SELECT count(*) AS n FROM ticks WHERE ts >= ? AND ts < ?")
          .get(from, until) as { n: number };
        report({
          bench: `latency_${mode}_archive`,
          archived_ticks_per_s: Math.round(n / SECONDS),
          offered_ticks_per_s: RATE * 10,
          seconds: SECONDS,
        });
      } finally {
        db.close();
      }
    }
  } finally {
    await mock.stop();
  }
}

/**
 * Runs the pipeline with `extra` flags (and, beside it, one process per list of `others`, whose
 * flags come last and win) and measures it.
 */
async function measure(
  mode: string,
  extra: string[],
  warmup: string,
  others: string[][] = [],
): Promise<{ from: number; until: number }> {
  const dbPath = `${dir}/${mode}.db`;
  const spawn = (args: string[]) =>
    new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "inherit" }).spawn();
  const common = [
    "run",
    "--allow-all",
    v8FlagsArg(),
    `${root}src/main.ts`,
    "--source=simulator",
    `--sim-rate=${RATE}`,
    // Long enough to warm the candle rules (30 returns of 1 s candles), short enough that their
    // first alerts, one per (symbol, rule) per 5 min of cooldown, fall in the measured minute.
    `--sim-warmup=${warmup}`,
    // A silent symbol (70–120 s, one every few seconds at this rate) would lower the offered rate.
    "--sim-silence=0",
    "--intervals=1s,1m",
    `--allowed-lateness=${LATENESS_MS}ms`,
    `--sqlite=${dbPath}`,
    `--http=127.0.0.1:${port}`,
    "--log-level=warn",
  ];
  const children = [spawn([...common, ...extra]), ...others.map((o) => spawn([...common, ...o]))];
  try {
    await untilLive();
    const from = Date.now() + 1000; // only ticks and windows of the live, paced part
    await new Promise((r) => setTimeout(r, from - Date.now()));
    const before = await scrape();
    const until = from + SECONDS * 1000;
    const cpu0 = process.cpuUsage();
    const { samples, polls, missedByPolls } = await watch(dbPath, from, until);
    const cpu = process.cpuUsage(cpu0);
    const after = await scrape();
    const ticks = counterSum(after, "pipeline_ticks_total") -
      counterSum(before, "pipeline_ticks_total");
    for (const [name, values] of Object.entries(samples)) {
      const q = quantiles(values);
      report({
        bench: `latency_${mode}_${name}`,
        samples: values.length,
        p50_ms: round(q.p50, 1),
        p99_ms: round(q.p99, 1),
        max_ms: round(q.max, 1),
        target_p99_ms: mode.startsWith("kafka") ? 150 : name === "latest_price" ? 20 : 50,
        histogram_p99_le_ms: histogramP99(before, after, name),
        offered_ticks_per_s: RATE * 10,
        achieved_ticks_per_s: Math.round(ticks / SECONDS),
        seconds: SECONDS,
        api_polls_per_s: Math.round(polls / SECONDS),
        // This process's own CPU while watching (cores): what the measurement takes from the
        // machine the pipeline runs on.
        watcher_cores: round((cpu.user + cpu.system) / 1e6 / SECONDS, 2),
        candles_missed_by_polls: missedByPolls,
      });
    }
    return { from, until };
  } finally {
    for (const child of children) {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
    }
    await Promise.all(children.map((c) => c.status));
  }
}

/** Waits until the simulator's warm-up is over: the newest price is of the last second. */
async function untilLive(): Promise<void> {
  const deadline = Date.now() + 120_000;
  let behind = Infinity;
  while (Date.now() < deadline) {
    try {
      const body = await (await fetch(`${base}/api/prices`)).json();
      const ts: number[] = body.prices.map((s: { ts: number }) => s.ts);
      if (ts.length > 0) behind = Date.now() - Math.max(...ts);
      if (behind < 1000) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // A pipeline slower than the offered rate falls further behind and never gets here.
  throw new Error(`the pipeline did not reach live ticks within 120 s (${behind} ms behind)`);
}

type Samples = Record<"latest_price" | "candle_stored" | "alert_stored", number[]>;

/** What {@linkcode watch} saw. */
interface Watched {
  samples: Samples;
  /** Read API polls made. */
  polls: number;
  /** Candles the incremental reads missed and a full read found (should stay 0). */
  missedByPolls: number;
}

async function scrape(): Promise<string> {
  return await (await fetch(`${base}/metrics`)).text();
}

/**
 * Polls the read API every `POLL_MS` (the next poll starts when the previous answered, or a
 * `POLL_MS` after it started, whichever is later) and the SQLite file every 5 ms until `until`.
 */
async function watch(dbPath: string, from: number, until: number): Promise<Watched> {
  const latency: Samples = { latest_price: [], candle_stored: [], alert_stored: [] };
  let polls = 0;
  let missedByPolls = 0;
  const lastTs = new Map<string, number>();
  const seen = new Set<string>();
  const db = new DatabaseSync(dbPath, { readOnly: true });
  const allCandles = db.prepare(
    `SELECT symbol, "interval" AS i, window_start AS w FROM candles WHERE window_start >= ?`,
  );
  const newCandles = db.prepare(`SELECT symbol, "interval" AS i, window_start AS w FROM candles
    WHERE "interval" = ? AND window_start > ?`);
  // Per interval, the newest window stored of each symbol. A symbol's windows are stored in
  // window order (its partition emits them by window end), so a poll needs only the rows past the
  // oldest of these: a few, where reading every row since `from` 200 times a second cost this
  // process ~0.06 of a core and grew with the run. A full read every second catches anything
  // that misses, counted from that read (an upper bound).
  const newest = new Map<string, Map<string, number>>();
  const bound = (i: string): number => {
    const bySymbol = newest.get(i);
    if (bySymbol === undefined || bySymbol.size < lastTs.size) return from - 1;
    return Math.min(...bySymbol.values());
  };
  // Records a candle's first store at `t`; false when it was seen before.
  const stored = (t: number, r: { symbol: string; i: string; w: number }): boolean => {
    const key = `c|${r.symbol}|${r.i}|${r.w}`;
    if (seen.has(key)) return false;
    seen.add(key);
    latency.candle_stored.push(t - (r.w + INTERVALS[r.i] + LATENESS_MS));
    let bySymbol = newest.get(r.i);
    if (bySymbol === undefined) newest.set(r.i, bySymbol = new Map());
    if (r.w > (bySymbol.get(r.symbol) ?? -Infinity)) bySymbol.set(r.symbol, r.w);
    return true;
  };
  let nextFullRead = 0;
  const alerts = db.prepare(`SELECT id, "interval" AS i, window_start AS w FROM alerts
    WHERE window_start >= ? AND "interval" <> 'tick'`);
  let nextDbPoll = 0;
  const api = await KeepAliveGet.open("127.0.0.1", port, "/api/prices");
  try {
    let pollStart = 0;
    while (Date.now() < until) {
      const wait = pollStart + POLL_MS - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pollStart = performance.now();
      polls++;
      const body = JSON.parse(await api.get());
      const now = Date.now();
      for (const s of body.prices as { symbol: string; ts: number }[]) {
        if (s.ts >= from && s.ts > (lastTs.get(s.symbol) ?? 0)) {
          latency.latest_price.push(now - s.ts);
        }
        lastTs.set(s.symbol, s.ts);
      }
      if (now < from) continue;
      if (now >= nextDbPoll) {
        nextDbPoll = now + 5;
        const t = Date.now();
        for (const i of Object.keys(INTERVALS)) {
          for (
            const r of newCandles.all(i, bound(i)) as { symbol: string; i: string; w: number }[]
          ) {
            stored(t, r);
          }
        }
        if (t >= nextFullRead) {
          nextFullRead = t + 1000;
          for (const r of allCandles.all(from) as { symbol: string; i: string; w: number }[]) {
            if (stored(t, r)) missedByPolls++;
          }
        }
        for (const r of alerts.all(from) as { id: string; i: string; w: number }[]) {
          if (seen.has(r.id) || !(r.i in INTERVALS)) continue;
          seen.add(r.id);
          latency.alert_stored.push(t - (r.w + INTERVALS[r.i] + LATENESS_MS));
        }
      }
    }
  } finally {
    api.close();
    db.close();
  }
  return { samples: latency, polls, missedByPolls };
}

/** The p99 bucket bound (ms) of the pipeline's own histogram for `name`. */
function histogramP99(before: string, after: string, name: string): number | null {
  const [metric, filter] = name === "latest_price"
    ? ["pipeline_latest_price_delay_seconds", ""]
    : ["pipeline_window_close_to_write_seconds", name === "candle_stored" ? "candles" : "alerts"];
  const le = bucketQuantile(before, after, metric, 0.99, filter ? `kind="${filter}"` : "");
  return le === null ? null : round(le * 1000, 1);
}
