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

/** Rounds for display. */
export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
