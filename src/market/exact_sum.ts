/**
 * Order-independent floating-point summation.
 * @module
 */

/**
 * A running sum that keeps the exact value of its finite terms and reads out the correctly
 * rounded result, so the same terms in any order give the same bits. Plain `+=` does not, and
 * candles must be byte-identical whatever the arrival order, so volume and Σ price·size are
 * summed this way.
 *
 * The exact value is a0 + a1 + a2 + (spilled partials): each addition is an error-free
 * TwoSum into a0, whose rounding error goes into a1, and so on. On market data the third level
 * is almost never reached, so an addition costs two or three TwoSums with no loop and no
 * allocation; the rare remainder goes to Shewchuk's partials (as in Python's `math.fsum`),
 * which also do the final correctly rounded read-out.
 *
 * @example
 * ```ts
 * import { ExactSum } from "./exact_sum.ts";
 * const s = new ExactSum();
 * for (let i = 0; i < 10; i++) s.add(0.1);
 * s.value(); // 1 (plain += gives 0.9999999999999999)
 * ```
 */
export class ExactSum {
  // -0, not 0: a double from the start. A small-integer 0 would change the field's
  // representation on the first fractional add, and the discarded object shapes then deoptimise
  // the hot path after every full GC.
  #a0 = -0;
  #a1 = -0;
  #a2 = -0;
  #spill: number[] | null = null;

  /** Adds one finite term. */
  add(x: number): void {
    // Knuth's branch-free TwoSum, inlined three times: hi + lo is exactly a + x.
    let a = this.#a0;
    let hi = a + x;
    let b = hi - a;
    let lo = (a - (hi - b)) + (x - b);
    this.#a0 = hi;
    if (lo === 0) return;
    a = this.#a1;
    hi = a + lo;
    b = hi - a;
    x = lo;
    lo = (a - (hi - b)) + (x - b);
    this.#a1 = hi;
    if (lo === 0) return;
    a = this.#a2;
    hi = a + lo;
    b = hi - a;
    x = lo;
    lo = (a - (hi - b)) + (x - b);
    this.#a2 = hi;
    if (lo !== 0) partialsAdd(this.#spill ??= [], lo);
  }

  /** Adds another sum's exact value (to merge per-cell sums into a window's). */
  addSum(other: ExactSum): void {
    this.add(other.#a0);
    this.add(other.#a1);
    this.add(other.#a2);
    if (other.#spill !== null) { for (const x of other.#spill) this.add(x); }
  }

  /** The exact sum, correctly rounded to the nearest double (ties to even). */
  value(): number {
    const p = this.#spill === null ? [] : [...this.#spill];
    partialsAdd(p, this.#a2);
    partialsAdd(p, this.#a1);
    partialsAdd(p, this.#a0);
    return partialsValue(p);
  }
}

// Shewchuk's grow-expansion: `p` holds non-overlapping partials in increasing magnitude whose
// exact sum is the running total; zeros are dropped.
function partialsAdd(p: number[], x: number): void {
  let i = 0;
  for (let j = 0; j < p.length; j++) {
    let y = p[j];
    if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) p[i++] = lo;
    x = hi;
  }
  p.length = i;
  if (x !== 0) p.push(x);
}

// The partials' exact sum rounded once, with Python's half-way correction.
function partialsValue(p: readonly number[]): number {
  let n = p.length;
  if (n === 0) return 0;
  let hi = p[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = p[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}
