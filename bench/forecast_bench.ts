/**
 * What the forecasts cost the embedded pipeline (issue #18's target: at most 15 % added time):
 * the `embedded_replay_sqlite` run of bench/embedded_bench.ts (2 M ticks → 1m, 5m, 1h candles of
 * 50 symbols, indicators, alerts into SQLite) with every forecast on (EWMA, GARCH, ridge and the
 * learned anomaly score; default settings otherwise — on their worker thread), without the score,
 * in the stages' thread (`--forecast-thread=false`, as before the worker), and off (the default),
 * alternating over `BENCH_ROUNDS` rounds (default 5) so drift of the shared machine hits all of
 * them; medians with their range, of the wall time and of the CPU time (the steadier figure when
 * other processes share the machine), and the median and range of each round's added CPU and
 * wall time against that round's run without forecasts.
 *
 * `FORECAST_BENCH_BASELINE=<checkout>` adds a variant to the same rounds: every forecast on, run
 * by another checkout's `src/main.ts` (e.g. `git archive <commit> | tar -x -C <checkout>`, with
 * `node_modules` linked), so a change's before and after are paired against the same runs
 * without forecasts.
 * @module
 */
import { report, round } from "./measure.ts";
import { median, replayPipelineArgs, timeChild, writeReplayFixture } from "./replay_run.ts";

const TICKS = Number(Deno.env.get("BENCH_TICKS") ?? 2_000_000);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);
const dir = await Deno.makeTempDir({ prefix: "forecast-bench-" });
const file = `${dir}/ticks.ndjson`;

const MODELS = "--forecast-models=ewma,garch,ridge";
const BASELINE = Deno.env.get("FORECAST_BENCH_BASELINE");
const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
// [name, pipeline options, the checkout's main.ts to run instead of this one's]
const VARIANTS: [string, string[], string?][] = [
  ["forecasts_off", []],
  ["forecasts_on", [MODELS, "--learned-anomaly"]],
  ["forecasts_on_without_anomaly_score", [MODELS]],
  // The forecasts in the pipeline's thread, as before the forecast worker.
  ["forecasts_on_in_thread", [MODELS, "--learned-anomaly", "--forecast-thread=false"]],
  ...(BASELINE
    ? [["forecasts_on_baseline", [MODELS, "--learned-anomaly"], `${BASELINE}/src/main.ts`] as [
      string,
      string[],
      string,
    ]]
    : []),
];

try {
  await writeReplayFixture(file, TICKS);
  const seconds = new Map<string, number[]>(VARIANTS.map(([name]) => [name, []]));
  const rss = new Map<string, number[]>(VARIANTS.map(([name]) => [name, []]));
  const cpu = new Map<string, number[]>(VARIANTS.map(([name]) => [name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, args, main] of VARIANTS) {
      const db = `${dir}/${name}-${r}.db`;
      const pipeline = replayPipelineArgs(file, [
        "--http=off",
        `--sqlite=${db}`,
        "--no-store-ticks",
        ...args,
      ]);
      const run = await timeChild(pipeline.map((a) => (a === MAIN && main ? main : a)));
      seconds.get(name)!.push(run.seconds);
      rss.get(name)!.push(run.peakRssKb / 1024);
      cpu.get(name)!.push(run.cpuSeconds);
      await Deno.remove(db);
    }
  }
  const off = median(seconds.get("forecasts_off")!);
  const offWall = seconds.get("forecasts_off")!;
  const offCpu = cpu.get("forecasts_off")!;
  // Each round's added fraction against the same round's run without forecasts.
  const added = (xs: number[], base: number[]) => xs.map((x, r) => x / base[r] - 1);
  const spread = (xs: number[]) => [round(Math.min(...xs)), round(Math.max(...xs))];
  for (const [name] of VARIANTS) {
    const s = seconds.get(name)!;
    const c = cpu.get(name)!;
    report({
      bench: `embedded_replay_sqlite_${name}`,
      ticks_per_s: Math.round(TICKS / median(s)),
      median_s: round(median(s)),
      range_s: [round(Math.min(...s)), round(Math.max(...s))],
      added_vs_off: round(median(s) / off - 1),
      cpu_median_s: round(median(c)),
      cpu_range_s: [round(Math.min(...c)), round(Math.max(...c))],
      cpu_added_vs_off_paired: round(median(added(c, offCpu))),
      cpu_added_vs_off_rounds: spread(added(c, offCpu)),
      wall_added_vs_off_paired: round(median(added(s, offWall))),
      wall_added_vs_off_rounds: spread(added(s, offWall)),
      peak_rss_mb: Math.round(median(rss.get(name)!)),
      rounds: ROUNDS,
      ticks: TICKS,
    });
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
