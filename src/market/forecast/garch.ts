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
  /**
   * `targeting` (default): variance targeting, ω = σ̄²(1 − α − β) with σ̄² the sample's mean
   * square, α and β by maximum likelihood. `full`: ω, α and β all by maximum likelihood — on data
   * without volatility clustering it drifts to the unidentified edge α → 0, β → 1, ω → 0 and is
   * refused as not stationary.
   */
  method?: "targeting" | "full";
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
  returns: ArrayLike<number>,
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
export function garchForecast(returns: ArrayLike<number>, p: GarchParams): number | null {
  if (returns.length === 0) return null;
  let h = meanSquare(returns);
  for (let t = 0; t < returns.length; t++) {
    const r = returns[t];
    h = p.omega + p.alpha * r * r + p.beta * h;
  }
  return h;
}

/**
 * Gaussian log-likelihood of `returns` under `p`, without the constant −½ ln 2π per return,
 * from σ²₁ = `initial` (by default the mean squared return, as every other function here).
 */
export function garchLogLikelihood(
  returns: ArrayLike<number>,
  p: GarchParams,
  initial = meanSquare(returns),
): number {
  let h = initial;
  let ll = 0;
  for (let t = 0; t < returns.length; t++) {
    const r = returns[t];
    ll -= 0.5 * (Math.log(h) + (r * r) / h);
    h = p.omega + p.alpha * r * r + p.beta * h;
  }
  return ll;
}

/**
 * Maximum likelihood by Nelder–Mead from a fixed start (α 0.05, β 0.90, unconditional variance
 * the sample's), on returns scaled to unit mean square so one start suits every price level.
 * Parameters are transformed so every trial is valid: α = e^b/(1 + e^b + e^c),
 * β = e^c/(1 + e^b + e^c), hence α, β > 0 and α + β < 1; with `method: "full"` also ω = e^a,
 * otherwise ω targets the sample variance. A fit with α below {@linkcode NO_ARCH_ALPHA} is the
 * constant-variance model (α = β = 0, ω = mean square). A fit whose α + β reaches
 * `maxPersistence` (the integrated edge) is refused as not stationary.
 *
 * @example
 * ```ts
 * import { fitGarch } from "./garch.ts";
 * fitGarch([0.01, -0.01]).ok; // false: too few returns
 * ```
 */
export function fitGarch(returns: ArrayLike<number>, options: GarchFitOptions = {}): GarchFit {
  if (returns.length < (options.minReturns ?? 100)) return { ok: false, reason: "too_few" };
  const scale2 = meanSquare(returns);
  if (!(scale2 > 0) || !Number.isFinite(scale2)) return { ok: false, reason: "flat" };
  const scale = Math.sqrt(scale2);
  const scaled = new Float64Array(returns.length);
  for (let t = 0; t < returns.length; t++) scaled[t] = returns[t] / scale;
  const full = options.method === "full";
  const params = (x: readonly number[]) => (full ? fromTheta(x) : targeted(x));
  // σ²₁ is the same for every trial: computed once, not per likelihood evaluation.
  const initial = meanSquare(scaled);
  const nll = (x: readonly number[]) => -garchLogLikelihood(scaled, params(x), initial);
  const start = full ? [Math.log(0.05), 0, Math.log(18)] : [0, Math.log(18)];
  const m = nelderMead(nll, start, { maxIterations: options.maxIterations ?? 400 });
  let unit = params(m.x);
  // At α = 0 no shock enters and β is not identified: the likelihood is flat along it and the
  // optimiser drifts to β → 1. That is the constant-variance model, not an integrated one, so
  // it is stated as such: σ² = the sample's mean square.
  if (unit.alpha < NO_ARCH_ALPHA) unit = { omega: 1, alpha: 0, beta: 0 };
  const p = { omega: unit.omega * scale2, alpha: unit.alpha, beta: unit.beta };
  if (![p.omega, p.alpha, p.beta, m.f].every(Number.isFinite)) {
    return { ok: false, reason: "not_finite" };
  }
  if (p.alpha + p.beta >= (options.maxPersistence ?? 0.999)) {
    return { ok: false, reason: "not_stationary" };
  }
  const logLikelihood = garchLogLikelihood(scaled, unit) - 0.5 * returns.length * Math.log(scale2);
  return {
    ok: true,
    params: p,
    logLikelihood,
    iterations: m.iterations,
    converged: m.converged,
  };
}

/** Below this α a fit is the constant-variance model (α = β = 0). */
export const NO_ARCH_ALPHA = 1e-6;

// Variance targeting on unit-mean-square returns: ω = 1 − α − β.
function targeted([b, c]: readonly number[]): GarchParams {
  const { alpha, beta } = fromTheta([0, b, c]);
  return { omega: 1 - alpha - beta, alpha, beta };
}

function fromTheta([a, b, c]: readonly number[]): GarchParams {
  const eb = Math.exp(b), ec = Math.exp(c);
  const d = 1 + eb + ec;
  return { omega: Math.exp(a), alpha: eb / d, beta: ec / d };
}

function meanSquare(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i] * xs[i];
  return xs.length === 0 ? NaN : s / xs.length;
}
