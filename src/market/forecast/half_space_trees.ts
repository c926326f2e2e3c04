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

interface Tree {
  /** Per internal node (heap order: children of i are 2i + 1, 2i + 2): split dimension and value. */
  readonly dim: Int32Array;
  readonly split: Float64Array;
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
  readonly #trees: Tree[] = [];
  readonly #depth: number;
  readonly #dims: number;

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
    const random = seededRandom(options.seed ?? 1);
    for (let t = 0; t < trees; t++) this.#trees.push(this.#build(random));
  }

  #build(random: () => number): Tree {
    const internal = 2 ** this.#depth - 1;
    const dim = new Int32Array(internal);
    const split = new Float64Array(internal);
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
      dim[node] = q;
      split[node] = mid;
      grow(2 * node + 1, lo, hi.map((v, i) => (i === q ? mid : v)));
      grow(2 * node + 2, lo.map((v, i) => (i === q ? mid : v)), hi);
    };
    grow(0, lo, hi);
    return { dim, split };
  }

  /** Mass per node of every tree for the reference points. */
  mass(points: readonly (readonly number[])[]): Int32Array[] {
    const nodes = 2 ** (this.#depth + 1) - 1;
    return this.#trees.map((tree) => {
      const m = new Int32Array(nodes);
      for (const x of points) {
        let node = 0;
        m[0]++;
        for (let k = 0; k < this.#depth; k++) {
          node = x[tree.dim[node]] < tree.split[node] ? 2 * node + 1 : 2 * node + 2;
          m[node]++;
        }
      }
      return m;
    });
  }

  /**
   * Σ over trees of (mass + `extra`)·2^depth at the first node on x's path whose mass is at most
   * `sizeLimit` (or the leaf). Low means anomalous. `extra` = 1 counts a point that is not in
   * the reference itself, so a new point and a reference point are scored alike.
   */
  score(mass: readonly Int32Array[], x: readonly number[], sizeLimit: number, extra = 0): number {
    let total = 0;
    for (let t = 0; t < this.#trees.length; t++) {
      const tree = this.#trees[t];
      const m = mass[t];
      let node = 0, k = 0;
      while (k < this.#depth && m[node] + extra > sizeLimit) {
        node = x[tree.dim[node]] < tree.split[node] ? 2 * node + 1 : 2 * node + 2;
        k++;
      }
      total += (m[node] + extra) * 2 ** k;
    }
    return total;
  }
}
