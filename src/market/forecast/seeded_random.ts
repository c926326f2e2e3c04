/**
 * A seeded PRNG for the models that draw (Half-Space Trees).
 * @module
 */
import { Prng } from "../../feeds/prng.ts";

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
  const prng = new Prng(seed);
  return () => prng.next();
}
