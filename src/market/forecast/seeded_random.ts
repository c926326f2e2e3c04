/**
 * A seeded PRNG for the models that draw (Half-Space Trees).
 * @module
 */

/**
 * mulberry32: uniform floats in [0, 1) from a 32-bit seed; the same seed gives the same
 * sequence on every platform.
 *
 * @example
 * ```ts
 * import { seededRandom } from "./seeded_random.ts";
 * const a = seededRandom(7), b = seededRandom(7);
 * a() === b(); // true
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
