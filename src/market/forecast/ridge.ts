/**
 * Ridge regression by the normal equations.
 * @module
 */

/** A fitted linear model: ŷ = intercept + Σ coefficientsⱼ·xⱼ. */
export interface LinearModel {
  readonly intercept: number;
  readonly coefficients: readonly number[];
}

/**
 * Minimises ‖y − b₀ − Xb‖² + λ‖b‖² (the intercept b₀ is not penalised) by solving the normal
 * equations (AᵀA + λD)β = Aᵀy, A = [1 X], D = diag(0, 1, …, 1), with a Cholesky factorisation
 * (the matrix is symmetric positive definite for λ > 0 and at least one row). Null when it is
 * not (no rows, non-finite input).
 *
 * @example
 * ```ts
 * import { ridgeFit } from "./ridge.ts";
 * ridgeFit([[0], [1], [2]], [1, 3, 5], 0)?.coefficients; // [2] (λ = 0: least squares)
 * ```
 */
export function ridgeFit(
  x: readonly (readonly number[])[],
  y: readonly number[],
  lambda: number,
): LinearModel | null {
  if (x.length === 0 || x.length !== y.length || !(lambda >= 0)) return null;
  const p = x[0].length + 1;
  const m = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const v = new Array<number>(p).fill(0);
  const row = new Array<number>(p);
  for (let i = 0; i < x.length; i++) {
    row[0] = 1;
    for (let j = 1; j < p; j++) row[j] = x[i][j - 1];
    for (let a = 0; a < p; a++) {
      v[a] += row[a] * y[i];
      for (let b = 0; b <= a; b++) m[a][b] += row[a] * row[b];
    }
  }
  for (let a = 1; a < p; a++) m[a][a] += lambda;
  const beta = choleskySolve(m, v);
  if (beta === null) return null;
  return { intercept: beta[0], coefficients: beta.slice(1) };
}

/** ŷ for one row. */
export function predictLinear(model: LinearModel, x: readonly number[]): number {
  let y = model.intercept;
  for (let j = 0; j < x.length; j++) y += model.coefficients[j] * x[j];
  return y;
}

/**
 * Solves Mβ = v for symmetric positive definite M given by its lower triangle (M = LLᵀ, then
 * two triangular solves). Null when M is not positive definite or the input is not finite.
 */
export function choleskySolve(
  m: readonly (readonly number[])[],
  v: readonly number[],
): number[] | null {
  const p = v.length;
  const l = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = m[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(s > 0)) return null;
        l[i][i] = Math.sqrt(s);
      } else l[i][j] = s / l[j][j];
    }
  }
  const z = new Array<number>(p);
  for (let i = 0; i < p; i++) {
    let s = v[i];
    for (let k = 0; k < i; k++) s -= l[i][k] * z[k];
    z[i] = s / l[i][i];
  }
  const b = new Array<number>(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < p; k++) s -= l[k][i] * b[k];
    b[i] = s / l[i][i];
  }
  return b.every(Number.isFinite) ? b : null;
}
