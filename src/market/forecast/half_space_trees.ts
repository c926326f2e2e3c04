/**
 * Half-Space Trees (Tan, Ting & Liu 2011): random axis-aligned splits of a workspace, mass
 * counted per node, a point's score the mass it lands in scaled by depth.
 * @module
 */
import { seededRandom } from "./seeded_random.ts";

/** Options of {@linkcode HalfSpaceTrees}. */
export interface HalfSpaceTreesOptions {
  /** Feature dimensions; features are expected in about [0, 1]. */
  dims: number;
  /** Trees. Default 25 (the paper's). */
  trees?: number;
  /** Depth of every tree. Default 8. */
  depth?: number;
  /** Seed of the splits. Default 1. */
  seed?: number;
}

/**
 * A seeded forest of half-space trees. Splits are drawn once, as in the paper: per dimension a
 * point s in [0, 1) and the workspace s ± 2·max(s, 1 − s), so values somewhat outside [0, 1]
 * still fall in a cell; each node halves its cell along a random dimension. Mass comes from a
 * reference set given to {@linkcode HalfSpaceTrees.mass}, so scoring is a pure function of that
 * set and the point.
 *
 * @example
 * ```ts
 * import { HalfSpaceTrees } from "./half_space_trees.ts";
 * const hst = new HalfSpaceTrees({ dims: 1, seed: 3 });
 * const ref = Array.from({ length: 100 }, (_, i) => [0.4 + (i % 10) / 50]);
 * const m = hst.mass(ref);
 * hst.score(m, [0.5], 10) > hst.score(m, [3], 10); // true: far out lands in little mass
 * ```
 */
export class HalfSpaceTrees {
  readonly #trees: number;
  readonly #depth: number;
  readonly #dims: number;
  /** Internal nodes per tree (2^depth − 1); leaves are the nodes from it on. */
  readonly #internal: number;
  /**
   * Split dimension and value of every internal node, tree after tree, heap order within a tree
   * (children of i are 2i + 1, 2i + 2): flat typed arrays, read in the hot loops.
   */
  readonly #dim: Int32Array;
  readonly #split: Float64Array;

  constructor(options: HalfSpaceTreesOptions) {
    const trees = options.trees ?? 25;
    this.#depth = options.depth ?? 8;
    this.#dims = options.dims;
    if (!(Number.isInteger(this.#dims) && this.#dims >= 1)) {
      throw new RangeError(`Half-Space Trees need dims ≥ 1, received ${this.#dims}`);
    }
    if (!(Number.isInteger(trees) && trees >= 1 && Number.isInteger(this.#depth))) {
      throw new RangeError(`Half-Space Trees need trees ≥ 1 and an integer depth`);
    }
    if (this.#depth < 1 || this.#depth > 20) {
      throw new RangeError(`Half-Space Trees depth must be 1..20, received ${this.#depth}`);
    }
    this.#trees = trees;
    this.#internal = 2 ** this.#depth - 1;
    this.#dim = new Int32Array(trees * this.#internal);
    this.#split = new Float64Array(trees * this.#internal);
    const random = seededRandom(options.seed ?? 1);
    for (let t = 0; t < trees; t++) this.#build(random, t * this.#internal);
  }

  #build(random: () => number, base: number): void {
    const internal = this.#internal;
    const lo: number[] = [], hi: number[] = [];
    for (let q = 0; q < this.#dims; q++) {
      const s = random();
      const r = 2 * Math.max(s, 1 - s);
      lo.push(s - r);
      hi.push(s + r);
    }
    const grow = (node: number, lo: number[], hi: number[]) => {
      if (node >= internal) return;
      const q = Math.floor(random() * this.#dims);
      const mid = (lo[q] + hi[q]) / 2;
      this.#dim[base + node] = q;
      this.#split[base + node] = mid;
      grow(2 * node + 1, lo, hi.map((v, i) => (i === q ? mid : v)));
      grow(2 * node + 2, lo.map((v, i) => (i === q ? mid : v)), hi);
    };
    grow(0, lo, hi);
  }

  /** Mass per node of every tree for the reference points. */
  mass(points: readonly (readonly number[])[]): Int32Array[] {
    return this.#fill(points, null);
  }

  /**
   * The mass of `points` and each point's `score(mass, point, sizeLimit)`, from one descent per
   * point and tree: each point's leaf is kept from the mass pass and looked up in
   * {@linkcode HalfSpaceTrees.scoreTable} (the same terms in the same order as `score`, so the
   * same bits).
   */
  massAndScores(
    points: readonly (readonly number[])[],
    sizeLimit: number,
  ): { mass: Int32Array[]; scores: Float64Array } {
    const n = points.length;
    const leaves = new Int32Array(n * this.#trees);
    const mass = this.#fill(points, leaves);
    const table = this.scoreTable(mass, sizeLimit);
    const perTree = this.#internal + 1;
    const scores = new Float64Array(n);
    for (let t = 0; t < this.#trees; t++) {
      for (let i = 0; i < n; i++) scores[i] += table[t * perTree + leaves[t * n + i]];
    }
    return { mass, scores };
  }

  // The mass pass; with `leaves`, also each point's leaf per tree (tree-major, leaf 0 first).
  #fill(points: readonly (readonly number[])[], leaves: Int32Array | null): Int32Array[] {
    const depth = this.#depth, internal = this.#internal, dim = this.#dim, split = this.#split;
    const out: Int32Array[] = [];
    for (let t = 0; t < this.#trees; t++) {
      const m = new Int32Array(2 * internal + 1);
      const base = t * internal;
      for (let i = 0; i < points.length; i++) {
        const x = points[i];
        let node = 0;
        m[0]++;
        for (let k = 0; k < depth; k++) {
          node = x[dim[base + node]] < split[base + node] ? 2 * node + 1 : 2 * node + 2;
          m[node]++;
        }
        if (leaves !== null) leaves[t * points.length + i] = node - internal;
      }
      out.push(m);
    }
    return out;
  }

  /**
   * Σ over trees of (mass + `extra`)·2^depth at the first node on x's path whose mass is at most
   * `sizeLimit` (or the leaf). Low means anomalous. `extra` = 1 counts a point that is not in
   * the reference itself, so a new point and a reference point are scored alike.
   */
  score(mass: readonly Int32Array[], x: readonly number[], sizeLimit: number, extra = 0): number {
    const depth = this.#depth, internal = this.#internal, dim = this.#dim, split = this.#split;
    let total = 0;
    for (let t = 0; t < this.#trees; t++) {
      const m = mass[t];
      const base = t * internal;
      let node = 0, k = 0;
      while (k < depth && m[node] + extra > sizeLimit) {
        node = x[dim[base + node]] < split[base + node] ? 2 * node + 1 : 2 * node + 2;
        k++;
      }
      total += (m[node] + extra) * 2 ** k;
    }
    return total;
  }

  /**
   * {@linkcode HalfSpaceTrees.score}'s term of every tree for every leaf a point can reach (trees
   * × leaves): a point's path, and so its term, is fixed by its leaf. With it
   * {@linkcode HalfSpaceTrees.scoreFrom} scores a point by one descent and no mass look-ups —
   * the same terms added in the same order, so the same bits as `score`. A term is an integer
   * below 2²⁴ (mass + `extra`) times a power of two, which a Float32Array holds exactly in half
   * the memory; hence a RangeError for a non-integer `extra` or 2²⁴ points or more.
   */
  scoreTable(mass: readonly Int32Array[], sizeLimit: number, extra = 0): Float32Array {
    const depth = this.#depth;
    const perTree = this.#internal + 1;
    const table = new Float32Array(this.#trees * perTree);
    for (let t = 0; t < this.#trees; t++) {
      const m = mass[t];
      if (!Number.isInteger(extra) || !(m[0] + extra < 2 ** 24)) {
        throw new RangeError(
          `HalfSpaceTrees.scoreTable needs an integer extra and under 2^24 points, received ` +
            `extra ${extra} and ${m[0]} points`,
        );
      }
      // Down from the root to where `score` stops (as its loop decides), then the stopping
      // node's term for every leaf below it; `first` is the first of those leaves.
      const down = (node: number, k: number, first: number): void => {
        if (k === depth || !(m[node] + extra > sizeLimit)) {
          const from = t * perTree + first;
          table.fill((m[node] + extra) * 2 ** k, from, from + 2 ** (depth - k));
          return;
        }
        down(2 * node + 1, k + 1, first);
        down(2 * node + 2, k + 1, first + 2 ** (depth - k - 1));
      };
      down(0, 0, 0);
    }
    return table;
  }

  /** `score(mass, x, sizeLimit, extra)` from `scoreTable(mass, sizeLimit, extra)`. */
  scoreFrom(table: Float32Array, x: readonly number[]): number {
    const depth = this.#depth, internal = this.#internal, dim = this.#dim, split = this.#split;
    let total = 0;
    for (let t = 0; t < this.#trees; t++) {
      const base = t * internal;
      let node = 0;
      for (let k = 0; k < depth; k++) {
        node = x[dim[base + node]] < split[base + node] ? 2 * node + 1 : 2 * node + 2;
      }
      total += table[t * (internal + 1) + node - internal];
    }
    return total;
  }
}
