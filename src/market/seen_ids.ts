/**
 * The set of tick ids already counted, for duplicate detection.
 * @module
 */

/**
 * How many of the newest ranges an out-of-order id may be inserted among (or merge two of).
 * Such an insert shifts the ranges after it, so it is kept to the newest few, where a feed's
 * stragglers land; an id further back goes to a plain set. Without the bound, ids arriving in
 * descending or random order cost a shift of the whole array each: quadratic in a bucket's ticks
 * (measured: 200 000 descending ids took 7 s).
 */
export const NEAR_RANGES = 16;

/** Far ids held before they are merged into the ranges (see `#addFar`). */
const FAR_COMPACT_MIN = 64;

/**
 * Seen ids of one (symbol, source) within one time bucket. Integer ids (exchange trade ids,
 * sequences) are kept as sorted disjoint ranges, so a gap-free feed costs two numbers however
 * many ticks it sends, even when some arrive late; an integer id far behind the newest ranges
 * goes to a set of its own, merged into the ranges once it holds half as many, and other ids
 * to a string set. An add costs O(log n) on average, whatever the order.
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
  // Integer ids seen far behind the newest ranges; never inside a range.
  #far: Set<number> | null = null;
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
    // Past every id seen so far: neither in a range nor in the far set.
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

  /** Number of stored ranges and ids: the memory this set holds. */
  get size(): number {
    return this.#ranges.length / 2 + (this.#far?.size ?? 0) + (this.#strings?.size ?? 0);
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
    if (this.#far?.has(num)) return false;
    const near = k >= r.length - 2 * NEAR_RANGES;
    if (k < r.length && r[k + 1] === num - 1) {
      if (k + 2 < r.length && r[k + 2] === num + 1) {
        // Closing the gap to the next range merges the two: a shift, so only near the end.
        if (!near) return this.#addFar(num);
        r[k + 1] = r[k + 3];
        r.splice(k + 2, 2);
      } else r[k + 1] = num;
    } else if (k < r.length && r[k] === num + 1) {
      // The range before ends below num - 1 (the search): no merge.
      r[k] = num;
    } else if (near) {
      r.splice(k, 0, num, num);
    } else return this.#addFar(num);
    return true;
  }

  #addFar(num: number): true {
    const far = this.#far ??= new Set();
    far.add(num);
    // A gap closed by a far id stays open in the ranges: with many stragglers (a feed whose ids
    // arrive jittered by hundreds) the ranges and the set would grow with the bucket's ticks where
    // merged ranges stay a handful (each far id keeps one gap open: as many ranges as far ids).
    // So once the set holds half as many ids as there are ranges, both are merged in one pass:
    // after at least a third as many adds as the pass is long, so O(log n) an add on average.
    if (far.size >= FAR_COMPACT_MIN && far.size >= this.#ranges.length / 4) this.#compact(far);
    return true;
  }

  /** Merges the far ids into the ranges (they are never inside one). */
  #compact(far: Set<number>): void {
    const ids = Float64Array.from(far).sort();
    const r = this.#ranges;
    const out: number[] = [];
    const append = (lo: number, hi: number) => {
      const n = out.length;
      if (n > 0 && lo <= out[n - 1] + 1) out[n - 1] = Math.max(out[n - 1], hi);
      else out.push(lo, hi);
    };
    let i = 0;
    let j = 0;
    while (i < r.length || j < ids.length) {
      if (j >= ids.length || (i < r.length && r[i] < ids[j])) {
        append(r[i], r[i + 1]);
        i += 2;
      } else append(ids[j], ids[j++]);
    }
    this.#ranges = out;
    this.#far = null;
  }
}
