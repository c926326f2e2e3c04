/**
 * What the embedded-pipeline benchmarks share: the generated NDJSON replay they run, and a
 * pipeline child process timed to completion with its peak RSS.
 * @module
 */
import { v8FlagsArg } from "../src/config/v8_flags.ts";
import { generateReplay } from "../tests/helpers/replay_fixture.ts";

/** Writes `ticks` generated ticks of 50 symbols (seeded, with the fixture's trouble) to `file`. */
export async function writeReplayFixture(file: string, ticks: number): Promise<void> {
  const symbols = Array.from({ length: 50 }, (_, i) => `S${i}-USD`);
  const chunk = 200_000;
  using out = await Deno.open(file, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let start = Date.UTC(2026, 0, 1);
  for (let done = 0; done < ticks; done += chunk) {
    const f = generateReplay({
      seed: done + 1,
      ticks: Math.min(chunk, ticks - done),
      symbols,
      start,
      gapMs: 20,
    });
    await out.write(encoder.encode(f.lines.join("\n") + "\n"));
    start = f.valid.reduce((m, t) => Math.max(m, t.ts), start) + 1;
  }
}

/** A child process run to completion: wall time, peak RSS (VmHWM), and the last RSS seen. */
export interface ChildRun {
  readonly seconds: number;
  readonly peakRssKb: number;
  /** CPU time the child used (user + system), as last read from /proc before it exited. */
  readonly cpuSeconds: number;
}

/**
 * Runs `deno <args>` to completion, polling its peak RSS from /proc every 50 ms. `whileRunning`
 * runs beside it from its start; `exited` aborts when the child has exited.
 */
export async function timeChild(
  args: string[],
  whileRunning?: (exited: AbortSignal) => Promise<void>,
): Promise<ChildRun> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "inherit" })
    .spawn();
  let peak = 0;
  let cpu = 0;
  const poll = setInterval(async () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(await Deno.readTextFile(`/proc/${child.pid}/status`));
      if (m) peak = Math.max(peak, Number(m[1]));
      // Fields 14 and 15 of /proc/pid/stat (after the command name): utime, stime in ticks.
      const stat = (await Deno.readTextFile(`/proc/${child.pid}/stat`)).split(") ")[1].split(" ");
      cpu = (Number(stat[11]) + Number(stat[12])) / 100;
    } catch {
      // Exited between polls.
    }
  }, 50);
  const exited = new AbortController();
  const beside = whileRunning?.(exited.signal);
  const status = await child.status;
  exited.abort();
  clearInterval(poll);
  await beside;
  if (!status.success) throw new Error(`${args.join(" ")} exited with ${status.code}`);
  return { seconds: (performance.now() - t0) / 1000, peakRssKb: peak, cpuSeconds: cpu };
}

/** The current RSS of process `pid` in kB (VmRSS). */
export async function rssKb(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+) kB/.exec(await Deno.readTextFile(`/proc/${pid}/status`));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * `deno` arguments that run the pipeline (`src/main.ts`, with the V8 flags `deno task start` uses)
 * over `replayFile` to its end, logging warnings only; `args` add or override options.
 */
export function replayPipelineArgs(replayFile: string, args: readonly string[]): string[] {
  return [
    "run",
    "--allow-all",
    v8FlagsArg(),
    new URL("../src/main.ts", import.meta.url).pathname,
    "--source=replay",
    `--replay-file=${replayFile}`,
    "--exit-at-end",
    "--log-level=warn",
    ...args,
  ];
}
