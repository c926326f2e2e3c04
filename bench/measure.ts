/**
 * Shared measurement helpers for the benchmarks: best-of-N timing and the JSON line format.
 * @module
 */

/** One benchmark result line. */
export interface BenchResult {
  bench: string;
  /** Throughput: messages, ticks or rows per second (the unit is named by the bench). */
  msgs_per_s?: number;
  rows_per_s?: number;
  ticks_per_s?: number;
  baseline?: string;
  ratio?: number;
  [extra: string]: unknown;
}

/** Prints one result as a JSON line on stdout. */
export function report(result: BenchResult): void {
  // deno-lint-ignore no-console
  console.log(JSON.stringify(result));
}

/**
 * Runs `fn` `runs` times (after one warm-up) and returns the best throughput in units/s, where `fn`
 * returns how many units it processed. Best-of-N because these VMs are noisy and the best run is
 * the least disturbed one.
 */
export async function bestThroughput(
  fn: () => number | Promise<number>,
  runs = 5,
): Promise<number> {
  await fn();
  let best = 0;
  for (let i = 0; i < runs; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    const units = await fn();
    const seconds = (performance.now() - t0) / 1000;
    best = Math.max(best, units / seconds);
  }
  return best;
}

/** Throughputs of a baseline and a candidate measured in the same rounds, and their ratio. */
export interface Paired {
  /** Median of the per-round candidate / baseline ratios. */
  ratio: number;
  /** Median throughputs (units/s). */
  baseline: number;
  candidate: number;
}

/**
 * Times `baseline` and `candidate` back to back in each of `rounds` short rounds (after one
 * warm-up each, order swapped every round) and returns the median of the per-round ratios. Why:
 * on these shared VMs the speed of the machine drifts within seconds, and the same loop runs at
 * very different speeds from one process to the next (heap layout, JIT timing), so best-of-N of
 * each side taken at different moments pairs a lucky baseline with an unlucky candidate or the
 * reverse. A ratio from two adjacent runs sees the same machine, and the median ignores the rounds
 * a burst of other work hit.
 *
 * One full GC after the warm-ups, then a minor one (a scavenge) before each run: it clears the
 * previous run's young garbage without moving the old generation. A full GC before every run, as
 * here before, moved the input each time: the candle bench's baseline, a loop bound by memory
 * access to 1 M old tick objects, swung 33–69 M ticks/s between rounds of one process with where
 * they landed. And it cleared the object shapes the candidate's optimised code had embedded, once
 * their last objects died: 130 deoptimisations ("embedded weak objects cleared") in 12 runs, the
 * candidate at 5–13 M ticks/s against 12–14 M without.
 */
export async function pairedRatio(
  baseline: () => number | Promise<number>,
  candidate: () => number | Promise<number>,
  rounds = 21,
): Promise<Paired> {
  await baseline();
  await candidate();
  (globalThis as { gc?: () => void }).gc?.();
  const ratios: number[] = [];
  const base: number[] = [];
  const cand: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let b: number;
    let c: number;
    if (r % 2 === 0) {
      b = await timed(baseline);
      c = await timed(candidate);
    } else {
      c = await timed(candidate);
      b = await timed(baseline);
    }
    base.push(b);
    cand.push(c);
    ratios.push(c / b);
  }
  return { ratio: median(ratios), baseline: median(base), candidate: median(cand) };
}

async function timed(fn: () => number | Promise<number>): Promise<number> {
  (globalThis as { gc?: (options?: { type: "minor" }) => void }).gc?.({ type: "minor" });
  const t0 = performance.now();
  const units = await fn();
  return units / ((performance.now() - t0) / 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Rounds for display. */
export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
