/**
 * Helpers for benchmarks that run the whole pipeline as a child process over a generated replay:
 * the fixture file and a timed child run with its peak RSS. (bench/embedded_bench.ts has its own
 * copies of these; it can switch to this module.)
 * @module
 */
import { generateReplay } from "../tests/helpers/replay_fixture.ts";

/**
 * Writes `ticks` generated ticks of 50 symbols, 20 ms apart on average (2 M ticks ≈ 11 hours of
 * event time), as embedded_bench.ts does.
 */
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

/**
 * Runs a child process to completion; wall time, peak RSS (VmHWM) and CPU time (user + system,
 * from /proc, the last reading before it exited: at most one 50 ms poll short). CPU time is what
 * to compare on a machine other processes share: their load stretches the wall time.
 */
export async function timeChild(
  args: string[],
): Promise<{ seconds: number; peakRssKb: number; cpuSeconds: number }> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "inherit" })
    .spawn();
  let peak = 0, cpu = 0;
  const poll = setInterval(async () => {
    try {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      if (m) peak = Math.max(peak, Number(m[1]));
      cpu = Math.max(cpu, cpuTicks(await Deno.readTextFile(`/proc/${child.pid}/stat`)));
    } catch {
      // Exited between polls.
    }
  }, 50);
  const status = await child.status;
  clearInterval(poll);
  if (!status.success) throw new Error(`${args.join(" ")} exited with ${status.code}`);
  return { seconds: (performance.now() - t0) / 1000, peakRssKb: peak, cpuSeconds: cpu / 100 };
}

// utime + stime of /proc/<pid>/stat, in clock ticks (100 per second on Linux); fields after the
// parenthesised command name, which may itself hold spaces.
function cpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
