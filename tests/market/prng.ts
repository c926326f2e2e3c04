/**
 * A small seeded PRNG (mulberry32) so property-style tests replay exactly.
 * @module
 */
import { Prng } from "../../src/feeds/prng.ts";

/** Returns a function giving uniform floats in [0, 1) from `seed` (the simulator's generator). */
export function mulberry32(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

/** Asserts |actual − expected| ≤ 1e-9 · max(1, |expected|), with a message naming `what`. */
export function assertClose(actual: number | null, expected: number | null, what: string): void {
  if (expected === null || actual === null) {
    if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`);
    return;
  }
  const tol = 1e-9 * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(
      `${what}: expected ${expected}, got ${actual} (|diff| ${Math.abs(actual - expected)})`,
    );
  }
}
