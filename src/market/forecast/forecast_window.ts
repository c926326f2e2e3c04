/**
 * Every model over one window of closed candles: a pure function of the window.
 * @module
 */
import { assertLambda, DEFAULT_EWMA_LAMBDA, ewmaVariance } from "./ewma_volatility.ts";
import { fitGarch, type GarchFit, type GarchFitOptions, garchForecast } from "./garch.ts";
import { CandleColumns } from "./candle_columns.ts";
import type { ForecastModel, ForecastUpdate, Prediction } from "./prediction.ts";
import { fitRidge, PREDICT_TAIL, type RidgeOptions, ridgePredict } from "./ridge_forecast.ts";
import type { LearnedAnomalyScorer } from "./learned_anomaly.ts";
import type { WindowCandle } from "./window_candle.ts";

/** Model settings; defaults in docs/forecasts.md. */
export interface ForecastSettings {
  /** Models to run. Default all three. */
  models?: ReadonlySet<ForecastModel>;
  /**
   * Window N, in intervals: every output is a function of the closed candles of the last N
   * intervals (at most N candles; fewer where windows had no trades). Default 500.
   */
  window?: number;
  /** EWMA decay λ. Default 0.94. */
  lambda?: number;
  /**
   * Refit period K, in intervals: GARCH, ridge and the anomaly reference change only at
   * epoch-aligned blocks of K. Default 60.
   */
  refitEvery?: number;
  garch?: GarchFitOptions;
  ridge?: RidgeOptions;
  /** Candles the anomaly score compares the latest with (the fit sample's last ones). Default 250. */
  anomalyWindow?: number;
}

/** The settings with defaults filled in. */
export type ResolvedSettings =
  & Required<Omit<ForecastSettings, "garch" | "ridge">>
  & Pick<ForecastSettings, "garch" | "ridge">;

/** Fills defaults and checks the settings; throws a RangeError naming every bad one. */
export function resolveSettings(s: ForecastSettings): ResolvedSettings {
  const r = {
    models: s.models ?? new Set<ForecastModel>(["ewma", "garch", "ridge"]),
    window: s.window ?? 500,
    lambda: s.lambda ?? DEFAULT_EWMA_LAMBDA,
    refitEvery: s.refitEvery ?? 60,
    anomalyWindow: s.anomalyWindow ?? 250,
    garch: s.garch,
    ridge: s.ridge,
  };
  const problems: string[] = [];
  if (!Number.isInteger(r.window) || r.window < 3) problems.push(`window ${r.window} (≥ 3)`);
  if (!Number.isInteger(r.refitEvery) || r.refitEvery < 1 || r.refitEvery >= r.window) {
    problems.push(`refitEvery ${r.refitEvery} (1 ≤ K < window)`);
  }
  if (!Number.isInteger(r.anomalyWindow) || r.anomalyWindow < 2) {
    problems.push(`anomalyWindow ${r.anomalyWindow} (≥ 2)`);
  }
  try {
    assertLambda(r.lambda);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (problems.length > 0) throw new RangeError(`Bad forecast settings: ${problems.join("; ")}`);
  return r;
}

/** Caches one key's fitted models by their input's identity, so a fit runs once per refit block. */
export interface FitCache {
  has(id: string): boolean;
  get(id: string): unknown;
  set(id: string, model: unknown): void;
}

/** A window read in place: the candles `from`…`to` (both included) of a series' columns. */
export interface WindowRange {
  readonly cols: CandleColumns;
  readonly from: number;
  readonly to: number;
}

/**
 * The forecasts after the window's last candle for the window after it (`intervalMs` later);
 * `window` holds the closed candles of the N intervals ending with it, in window order (as
 * {@linkcode ForecastEngine} passes them).
 * EWMA runs over the whole window. GARCH, ridge and the anomaly reference are fitted on the fit
 * sample: the window's candles in [B − (N − K − 1)·interval, B), B the start of the
 * epoch-aligned block of K intervals holding the last candle — the same sample for every candle
 * of a block, always inside the window's N intervals — so each is fitted once per block;
 * the GARCH recursion, the ridge features and the anomaly score then use the window up to its
 * last candle.
 */
export function forecastWindow(
  key: string,
  intervalMs: number,
  window: readonly WindowCandle[],
  s: ResolvedSettings,
  deps: ForecastDeps,
): ForecastUpdate {
  const range = { cols: CandleColumns.of(window), from: 0, to: window.length - 1 };
  return forecastRange(key, intervalMs, range, s, deps);
}

/** What {@linkcode forecastWindow} needs besides the window: the anomaly scorer and the fit cache. */
export interface ForecastDeps {
  readonly scorer: LearnedAnomalyScorer | null;
  readonly fits: FitCache;
}

/**
 * {@linkcode forecastWindow} over a window read in place from a series' columns (no copy of the
 * window, no logarithm per candle per forecast): the same arithmetic on the same numbers in the
 * same order, hence the same bits — tested against forecastWindow over random series with
 * revisions (tests/market/forecast/forecast_range_test.ts).
 */
export function forecastRange(
  key: string,
  intervalMs: number,
  w: WindowRange,
  s: ResolvedSettings,
  deps: ForecastDeps,
): ForecastUpdate {
  const { cols, from, to } = w;
  const candles = cols.candles;
  const last = candles[to];
  const target = last.window_start + intervalMs;
  let version = 0;
  for (let k = from; k <= to; k++) version += cols.version[k];
  const sample = fitSample(w, intervalMs, s);
  const fitted: Fitted = (model, make) => {
    if (sample === null) return null;
    const id = `${model}:${sample.id}`;
    if (!deps.fits.has(id)) deps.fits.set(id, make(sample));
    return deps.fits.get(id) as ReturnType<typeof make>;
  };
  const base = { key, targetWindowStart: target, version, fallback: null };
  const predictions = volatilityPredictions(w, s, fitted, base);
  if (s.models.has("ridge")) predictions.push(ridgePrediction(w, s, fitted, base));
  const scorer = deps.scorer;
  const ref = scorer &&
    fitted(
      "anomaly",
      (c) => scorer.reference(candles.slice(Math.max(c.from, c.to - s.anomalyWindow), c.to)),
    );
  const anomalyScore = ref
    ? scorer!.scoreAgainst(ref, candles.slice(Math.max(from, to - 1), to + 1))
    : null;
  return {
    key,
    windowStart: last.window_start,
    targetWindowStart: target,
    predictions,
    anomalyScore,
  };
}

/** The fit sample: candles[from, to) of the series (`to` exclusive) and its identity. */
interface Sample {
  readonly from: number;
  readonly to: number;
  readonly id: string;
}

/** The model fitted on the fit sample (cached per block), or null without a sample. */
type Fitted = <T>(model: string, make: (sample: Sample) => T) => T | null;

type Base = Pick<Prediction, "key" | "targetWindowStart" | "version" | "fallback">;

const NO_RETURN = { predictedReturn: null, probUp: null };

function volatilityPredictions(
  w: WindowRange,
  s: ResolvedSettings,
  fitted: Fitted,
  base: Base,
): Prediction[] {
  // The window's returns: those of its candles after the first.
  const returns = w.cols.ret.subarray(w.from + 1, w.to + 1);
  const ewma = ewmaVariance(returns, s.lambda);
  const ewmaVol = ewma === null ? null : Math.sqrt(ewma);
  const out: Prediction[] = [];
  if (s.models.has("ewma")) {
    out.push({ ...base, ...NO_RETURN, model: "ewma", predictedVol: ewmaVol });
  }
  if (s.models.has("garch")) {
    const fit: GarchFit | { ok: false; reason: "warmup" } = fitted("garch", (c) =>
      fitGarch(w.cols.ret.subarray(c.from + 1, c.to), s.garch)) ?? { ok: false, reason: "warmup" };
    const h = fit.ok ? garchForecast(returns, fit.params) : null;
    out.push({
      ...base,
      ...NO_RETURN,
      model: "garch",
      predictedVol: h === null ? ewmaVol : Math.sqrt(h),
      fallback: fit.ok ? null : fit.reason,
    });
  }
  return out;
}

function ridgePrediction(
  w: WindowRange,
  s: ResolvedSettings,
  fitted: Fitted,
  base: Base,
): Prediction {
  const model = fitted("ridge", (c) => fitRidge(w.cols.candles.slice(c.from, c.to), s.ridge));
  // ridgePredict reads only the last PREDICT_TAIL candles: copy those, not the window.
  const first = Math.max(w.from, w.to + 1 - PREDICT_TAIL);
  const f = model
    ? ridgePredict(
      model,
      w.cols.candles.slice(first, w.to + 1),
      s.ridge,
      w.cols.close.subarray(first, w.to + 1),
    )
    : null;
  return {
    ...base,
    model: "ridge",
    predictedReturn: f?.predictedReturn ?? null,
    predictedVol: null,
    probUp: f?.probUp ?? null,
  };
}

/**
 * The fit sample of the window's last candle and its identity (changed by any revision or late
 * candle in it).
 */
function fitSample(w: WindowRange, intervalMs: number, s: ResolvedSettings): Sample | null {
  const { start, version } = w.cols;
  const blockMs = s.refitEvery * intervalMs;
  const end = Math.floor(start[w.to] / blockMs) * blockMs;
  const from = end - (s.window - s.refitEvery - 1) * intervalMs;
  let i = w.from;
  while (i <= w.to && start[i] < from) i++;
  let j = i, versions = 0;
  for (; j <= w.to && start[j] < end; j++) versions += version[j];
  if (j - i < 2) return null;
  return { from: i, to: j, id: `${start[i]}:${end}:${j - i}:${versions}` };
}
