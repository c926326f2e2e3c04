/**
 * The set of tick ids already counted, for duplicate detection.
 * @module
 */

/**
 * Seen ids of one (symbol, source) within one time bucket. Integer ids (exchange trade ids,
 * sequences) are kept as sorted disjoint ranges, so a gap-free feed costs two numbers however
 * many ticks it sends; other ids go to a string set.
 *
 * @example
 * ```ts
 * import { SeenIds } from "./seen_ids.ts";
 * const seen = new SeenIds();
 * seen.add("41", 41); // true: new
 * seen.add("41", 41); // false: duplicate
 * ```
 */
export class SeenIds {
  // Flat [lo0, hi0, lo1, hi1, …], sorted, disjoint and non-adjacent.
  #ranges: number[] = [];
  #strings: Set<string> | null = null;

  /** Records `id`; false when it was already there. `num` is its `integerId()`, or -1. */
  add(id: string, num: number): boolean {
    if (num < 0) {
      const strings = this.#strings ??= new Set();
      if (strings.has(id)) return false;
      strings.add(id);
      return true;
    }
    const r = this.#ranges;
    const n = r.length;
    if (n > 0 && num === r[n - 1] + 1) {
      r[n - 1] = num;
      return true;
    }
    if (n === 0 || num > r[n - 1] + 1) {
      r.push(num, num);
      return true;
    }
    return this.#insert(num);
  }

  /** Number of stored ranges and string ids: the memory this set holds. */
  get size(): number {
    return this.#ranges.length / 2 + (this.#strings?.size ?? 0);
  }

  #insert(num: number): boolean {
    const r = this.#ranges;
    // First range whose hi ≥ num - 1 (it may absorb num at its low end or contain it).
    let lo = 0;
    let hi = r.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[2 * mid + 1] < num - 1) lo = mid + 1;
      else hi = mid;
    }
    const k = 2 * lo;
    if (k < r.length && r[k] <= num && num <= r[k + 1]) return false;
    if (k < r.length && r[k + 1] === num - 1) {
      r[k + 1] = num;
      // Closing the gap to the next range merges the two.
      if (k + 2 < r.length && r[k + 2] === num + 1) {
        r[k + 1] = r[k + 3];
        r.splice(k + 2, 2);
      }
    } else if (k < r.length && r[k] === num + 1) {
      r[k] = num;
    } else {
      r.splice(k, 0, num, num);
    }
    return true;
  }
}
