/**
 * Embedded pipeline throughput: a replay of 2 M generated ticks from NDJSON, as fast as possible,
 * through the whole pipeline in its own process (candles, indicators and alerts into SQLite, raw
 * ticks off), against a plain script that only reads and JSON-parses the same file, and against the
 * limit line: bare `JSON.parse` over the same lines held in memory (bench/json_parse_limit.ts).
 * Also: with raw ticks stored, and with no store at all (a null sink). Peak RSS of each pipeline run is read from
 * /proc (VmHWM) while it runs.
 * @module
 */
import { generateReplay } from "../tests/helpers/replay_fixture.ts";
import { report, round } from "./measure.ts";
import { v8FlagsArg } from "../src/config/v8_flags.ts";

const TICKS = Number(Deno.env.get("BENCH_TICKS") ?? 2_000_000);
const dir = await Deno.makeTempDir({ prefix: "embedded-bench-" });
const file = `${dir}/ticks.ndjson`;
const root = new URL("..", import.meta.url).pathname;

try {
  await writeFixture();
  const baseline = await timeChild([
    "run",
    "--allow-read",
    `${root}bench/plain_json_read.ts`,
    file,
  ]);
  const baseRate = TICKS / baseline.seconds;
  const limitRate = await jsonParseLimit();
  report({ bench: "json_parse_limit", ticks_per_s: Math.round(limitRate), ticks: TICKS });
  report({
    bench: "ndjson_read_parse",
    ticks_per_s: Math.round(baseRate),
    ratio_to_limit: round(baseRate / limitRate),
    ticks: TICKS,
  });
  const variants: [string, string[]][] = [
    ["embedded_replay_sqlite", [`--sqlite=${dir}/a.db`, "--no-store-ticks"]],
    ["embedded_replay_sqlite_with_ticks", [`--sqlite=${dir}/b.db`, "--store-ticks"]],
    ["embedded_replay_null_sink", ["--sqlite=", "--no-store-ticks"]],
  ];
  for (const [name, args] of variants) {
    const run = await timeChild([
      "run",
      "--allow-all",
      // What `deno task start` runs the pipeline with.
      v8FlagsArg(),
      `${root}src/main.ts`,
      "--source=replay",
      `--replay-file=${file}`,
      "--exit-at-end",
      "--http=off",
      "--log-level=warn",
      ...args,
    ]);
    const rate = TICKS / run.seconds;
    report({
      bench: name,
      ticks_per_s: Math.round(rate),
      baseline: "ndjson_read_parse",
      ratio: round(rate / baseRate),
      ratio_to_limit: round(rate / limitRate),
      peak_rss_mb: Math.round(run.peakRssKb / 1024),
      ticks: TICKS,
    });
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}

/** Lines/s of bare `JSON.parse` over the fixture's lines in memory, in a process of its own. */
async function jsonParseLimit(): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `${root}bench/json_parse_limit.ts`, file],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`json_parse_limit exited with ${out.code}`);
  return Number(new TextDecoder().decode(out.stdout).split(" ")[0]);
}

async function writeFixture(): Promise<void> {
  const symbols = Array.from({ length: 50 }, (_, i) => `S${i}-USD`);
  const chunk = 200_000;
  using out = await Deno.open(file, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let start = Date.UTC(2026, 0, 1);
  for (let done = 0; done < TICKS; done += chunk) {
    const f = generateReplay({
      seed: done + 1,
      ticks: Math.min(chunk, TICKS - done),
      symbols,
      start,
      gapMs: 20,
    });
    await out.write(encoder.encode(f.lines.join("\n") + "\n"));
    start = f.valid.reduce((m, t) => Math.max(m, t.ts), start) + 1;
  }
}

/** Runs a child process to completion; wall time and peak RSS (VmHWM). */
async function timeChild(args: string[]): Promise<{ seconds: number; peakRssKb: number }> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "inherit" })
    .spawn();
  let peak = 0;
  const poll = setInterval(async () => {
    try {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      if (m) peak = Math.max(peak, Number(m[1]));
    } catch {
      // Exited between polls.
    }
  }, 50);
  const status = await child.status;
  clearInterval(poll);
  if (!status.success) throw new Error(`${args.join(" ")} exited with ${status.code}`);
  return { seconds: (performance.now() - t0) / 1000, peakRssKb: peak };
}
