/**
 * GARCH(1,1): the variance recursion, its Gaussian likelihood, and a maximum-likelihood fit.
 * @module
 */
import { nelderMead } from "./nelder_mead.ts";

/** σ²ₜ₊₁ = ω + α·rₜ² + β·σ²ₜ. */
export interface GarchParams {
  readonly omega: number;
  readonly alpha: number;
  readonly beta: number;
}

/** Options of {@linkcode fitGarch}. */
export interface GarchFitOptions {
  /** Fewer returns than this is a failed fit (`too_few`). Default 100. */
  minReturns?: number;
  /** α + β at or above this counts as not stationary. Default 0.999. */
  maxPersistence?: number;
  /** Nelder–Mead iteration cap. Default 400. */
  maxIterations?: number;
}

/** Why a fit was not used. */
export type GarchFailure = "too_few" | "flat" | "not_finite" | "not_stationary";

/** A fit's outcome. */
export type GarchFit =
  | {
    readonly ok: true;
    readonly params: GarchParams;
    /** Σ −½(ln σ²ₜ + rₜ²/σ²ₜ) at the optimum, without the −½ ln 2π terms. */
    readonly logLikelihood: number;
    readonly iterations: number;
    readonly converged: boolean;
  }
  | { readonly ok: false; readonly reason: GarchFailure };

/**
 * The conditional variances σ²₁ … σ²ₙ₊₁ of `returns` (n + 1 values, the last the forecast for
 * the next step), starting from σ²₁ = `initial` (by default the mean squared return, zero mean).
 *
 * @example
 * ```ts
 * import { garchVariances } from "./garch.ts";
 * // σ²₁ = 1; σ²₂ = 0.1 + 0.2·4 + 0.7·1 = 1.6
 * garchVariances([2], { omega: 0.1, alpha: 0.2, beta: 0.7 }, 1); // [1, 1.6]
 * ```
 */
export function garchVariances(
  returns: readonly number[],
  p: GarchParams,
  initial = meanSquare(returns),
): number[] {
  const h = new Array<number>(returns.length + 1);
  h[0] = initial;
  for (let t = 0; t < returns.length; t++) {
    h[t + 1] = p.omega + p.alpha * returns[t] * returns[t] + p.beta * h[t];
  }
  return h;
}

/** The variance forecast for the step after the last return (the recursion's last value). */
export function garchForecast(returns: readonly number[], p: GarchParams): number | null {
  if (returns.length === 0) return null;
  let h = meanSquare(returns);
  for (const r of returns) h = p.omega + p.alpha * r * r + p.beta * h;
  return h;
}

/** Gaussian log-likelihood of `returns` under `p`, without the constant −½ ln 2π per return. */
export function garchLogLikelihood(returns: readonly number[], p: GarchParams): number {
  let h = meanSquare(returns);
  let ll = 0;
  for (const r of returns) {
    ll -= 0.5 * (Math.log(h) + (r * r) / h);
    h = p.omega + p.alpha * r * r + p.beta * h;
  }
  return ll;
}

/**
 * Maximum likelihood by Nelder–Mead from a fixed start (α 0.05, β 0.90, unconditional variance
 * the sample's), on returns scaled to unit mean square so one start suits every price level.
 * Parameters are transformed so every trial is valid: ω = e^a, α = e^b/(1 + e^b + e^c),
 * β = e^c/(1 + e^b + e^c), hence ω > 0, α, β > 0, α + β < 1. A fit whose α + β reaches
 * `maxPersistence` (the integrated edge) is refused as not stationary.
 *
 * @example
 * ```ts
 * import { fitGarch } from "./garch.ts";
 * fitGarch([0.01, -0.01]).ok; // false: too few returns
 * ```
 */
export function fitGarch(returns: readonly number[], options: GarchFitOptions = {}): GarchFit {
  if (returns.length < (options.minReturns ?? 100)) return { ok: false, reason: "too_few" };
  const scale2 = meanSquare(returns);
  if (!(scale2 > 0) || !Number.isFinite(scale2)) return { ok: false, reason: "flat" };
  const scaled = returns.map((r) => r / Math.sqrt(scale2));
  const nll = (x: readonly number[]) => -garchLogLikelihood(scaled, fromTheta(x));
  const start = [Math.log(0.05), 0, Math.log(18)];
  const m = nelderMead(nll, start, { maxIterations: options.maxIterations ?? 400 });
  const unit = fromTheta(m.x);
  const params = { omega: unit.omega * scale2, alpha: unit.alpha, beta: unit.beta };
  if (![params.omega, params.alpha, params.beta, m.f].every(Number.isFinite)) {
    return { ok: false, reason: "not_finite" };
  }
  if (params.alpha + params.beta >= (options.maxPersistence ?? 0.999)) {
    return { ok: false, reason: "not_stationary" };
  }
  const logLikelihood = -m.f - 0.5 * returns.length * Math.log(scale2);
  return { ok: true, params, logLikelihood, iterations: m.iterations, converged: m.converged };
}

function fromTheta([a, b, c]: readonly number[]): GarchParams {
  const eb = Math.exp(b), ec = Math.exp(c);
  const d = 1 + eb + ec;
  return { omega: Math.exp(a), alpha: eb / d, beta: ec / d };
}

function meanSquare(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x * x;
  return xs.length === 0 ? NaN : s / xs.length;
}
