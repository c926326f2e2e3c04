/**
 * Embedded pipeline throughput: a replay of 2 M generated ticks from NDJSON, as fast as possible,
 * through the whole pipeline in its own process (candles, indicators and alerts into SQLite, raw
 * ticks off), against a plain script that only reads and JSON-parses the same file, and against the
 * limit line: bare `JSON.parse` over the same lines held in memory (bench/json_parse_limit.ts).
 * Also: with raw ticks stored (by SQLite's tick thread, the default, and on the event loop), and
 * with no store at all (a null sink). Peak RSS of each pipeline run is read from
 * /proc (VmHWM) while it runs.
 * @module
 */
import { report, round } from "./measure.ts";
import { replayPipelineArgs, timeChild, writeReplayFixture } from "./replay_run.ts";

const TICKS = Number(Deno.env.get("BENCH_TICKS") ?? 2_000_000);
const dir = await Deno.makeTempDir({ prefix: "embedded-bench-" });
const file = `${dir}/ticks.ndjson`;
const root = new URL("..", import.meta.url).pathname;

try {
  await writeReplayFixture(file, TICKS);
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
    // The same with raw ticks written on the event loop: what the tick thread gains, same run.
    [
      "embedded_replay_sqlite_with_ticks_event_loop",
      [`--sqlite=${dir}/c.db`, "--store-ticks", "--sqlite-tick-thread=false"],
    ],
    ["embedded_replay_null_sink", ["--sqlite=", "--no-store-ticks"]],
  ];
  for (const [name, args] of variants) {
    const run = await timeChild(replayPipelineArgs(file, ["--http=off", ...args]));
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
