/**
 * A small deterministic Nelder–Mead minimiser.
 * @module
 */

/** Options of {@linkcode nelderMead}. */
export interface NelderMeadOptions {
  /** Initial simplex: the start plus `step` along each axis. Default 0.5. */
  step?: number;
  /** Iteration cap. Default 400. */
  maxIterations?: number;
  /** Stop when the simplex's f values span less than this. Default 1e-9. */
  tolerance?: number;
}

/** The best point found. */
export interface Minimum {
  readonly x: number[];
  readonly f: number;
  readonly iterations: number;
  /** False when the iteration cap stopped it. */
  readonly converged: boolean;
}

/**
 * Minimises `f` from `start` with the standard coefficients (reflection 1, expansion 2,
 * contraction ½, shrink ½). Deterministic: no randomness, ties keep their order, so the same
 * start and function give the same steps. A non-finite f counts as +∞, so the simplex backs
 * away from where `f` is undefined.
 *
 * @example
 * ```ts
 * import { nelderMead } from "./nelder_mead.ts";
 * nelderMead(([x, y]) => (x - 1) ** 2 + (y + 2) ** 2, [0, 0]).x; // ≈ [1, −2]
 * ```
 */
export function nelderMead(
  f: (x: readonly number[]) => number,
  start: readonly number[],
  options: NelderMeadOptions = {},
): Minimum {
  const step = options.step ?? 0.5;
  const maxIterations = options.maxIterations ?? 400;
  const tolerance = options.tolerance ?? 1e-9;
  const n = start.length;
  const value = (x: number[]) => {
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  let pts: { x: number[]; f: number }[] = [];
  for (let i = 0; i <= n; i++) {
    const x = [...start];
    if (i > 0) x[i - 1] += step;
    pts.push({ x, f: value(x) });
  }
  let it = 0;
  for (; it < maxIterations; it++) {
    pts = pts.map((p, i) => ({ ...p, i })).sort((a, b) => a.f - b.f || a.i - b.i);
    const best = pts[0], worst = pts[n], second = pts[n - 1];
    if (Number.isFinite(worst.f) && worst.f - best.f < tolerance) break;
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += pts[i].x[j] / n;
    const along = (t: number) => centroid.map((c, j) => c + t * (worst.x[j] - c));
    const xr = along(-1), fr = value(xr);
    if (fr < best.f) {
      const xe = along(-2), fe = value(xe);
      pts[n] = fe < fr ? { x: xe, f: fe } : { x: xr, f: fr };
    } else if (fr < second.f) {
      pts[n] = { x: xr, f: fr };
    } else {
      const xc = fr < worst.f ? along(-0.5) : along(0.5);
      const fc = value(xc);
      if (fc < Math.min(fr, worst.f)) pts[n] = { x: xc, f: fc };
      else pts = shrink(pts, value);
    }
  }
  pts.sort((a, b) => a.f - b.f);
  return { x: pts[0].x, f: pts[0].f, iterations: it, converged: it < maxIterations };
}

function shrink(
  pts: { x: number[]; f: number }[],
  value: (x: number[]) => number,
): { x: number[]; f: number }[] {
  const b = pts[0].x;
  return pts.map((p, i) => {
    if (i === 0) return p;
    const x = p.x.map((v, j) => b[j] + 0.5 * (v - b[j]));
    return { x, f: value(x) };
  });
}
