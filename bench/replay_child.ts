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

/** Runs a child process to completion; wall time and peak RSS (VmHWM). */
export async function timeChild(args: string[]): Promise<{ seconds: number; peakRssKb: number }> {
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

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
