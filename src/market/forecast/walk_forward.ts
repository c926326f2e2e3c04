/**
 * Walk-forward evaluation: each forecast scored on the candle that follows it, never on data it
 * was fitted on.
 * @module
 */
import { ForecastEngine, type ForecastEngineOptions } from "./forecast_engine.ts";
import { DirectionalAccuracy, qlike, ReturnErrors, RunningMean } from "./evaluation_metrics.ts";
import type { Prediction } from "./prediction.ts";
import type { WindowCandle } from "./window_candle.ts";
import { logReturn } from "./log_returns.ts";

/** Smallest variance a forecast is scored with (σ 1e-6), so a zero squared return stays finite. */
export const MIN_VARIANCE = 1e-12;

/** The figures of one evaluation. */
export interface EvaluationReport {
  /** Keys evaluated and forecasts scored (the same forecasts for every model and baseline). */
  readonly keys: number;
  readonly scored: number;
  /** Return forecasts: ridge against the zero-return forecast. */
  readonly ridge: ReturnErrors;
  readonly zero: ReturnErrors;
  readonly direction: DirectionalAccuracy;
  /** Share of up moves among non-zero realised returns (what "always up" would score). */
  readonly upShare: number;
  /** Brier score of P(up) and of the constant ½ (0.25). */
  readonly brier: RunningMean;
  /** QLIKE per volatility forecast, and its difference to EWMA per forecast. */
  readonly qlike: Readonly<Record<VolModel, RunningMean>>;
  readonly qlikeVsEwma: Readonly<Record<VolModel, RunningMean>>;
  /** MSE of the variance forecast against the squared return, (r² − h)². */
  readonly varianceMse: Readonly<Record<VolModel, RunningMean>>;
  /** Variance forecasts raised to {@linkcode MIN_VARIANCE}, per model. */
  readonly floored: Readonly<Record<VolModel, number>>;
  /** GARCH forecasts served by EWMA instead (all, and by reason), and fits run. */
  readonly garchFallbacks: number;
  readonly garchFallbackReasons: Readonly<Record<string, number>>;
  readonly garchFits: number;
  /** Learned anomaly scores of the scored forecasts' candles, and how many reached 3 and 6 bits. */
  readonly anomalyScored: number;
  readonly anomalyOver3: number;
  readonly anomalyOver6: number;
}

/** The volatility forecasts compared: EWMA, GARCH and the last squared return. */
export type VolModel = "ewma" | "garch" | "squared_return";
const VOL_MODELS: readonly VolModel[] = ["ewma", "garch", "squared_return"];

/**
 * Runs a {@linkcode ForecastEngine} over each key's closed candles in window order and scores
 * every forecast made from a full window (the series reaches N intervals back) whose target
 * window has a candle: the
 * realised return is ln(close of the target / close of the candle before). Every model and
 * baseline is scored on exactly these forecasts.
 */
export function walkForward(
  series: ReadonlyMap<string, { intervalMs: number; candles: readonly WindowCandle[] }>,
  options: ForecastEngineOptions = {},
): EvaluationReport {
  const engine = new ForecastEngine(options);
  const window = options.window ?? 500;
  const r = blankReport();
  for (const [key, { intervalMs, candles }] of series) {
    for (let i = 0; i < candles.length; i++) {
      const [u] = engine.onCandle(key, intervalMs, candles[i]);
      const next = candles[i + 1];
      const history = candles[i].window_start - candles[0].window_start;
      if (u === undefined || history < (window - 1) * intervalMs) continue;
      if (next?.window_start !== u.targetWindowStart) continue;
      const realised = logReturn(candles[i].close, next.close);
      const previous = logReturn(candles[i - 1].close, candles[i].close);
      score(r, u.predictions, realised, previous);
      if (u.anomalyScore !== null) {
        r.anomalyScored++;
        if (u.anomalyScore >= 3) r.anomalyOver3++;
        if (u.anomalyScore >= 6) r.anomalyOver6++;
      }
    }
  }
  const { ups, nonZero, scored, fallbacks, reasons, ...rest } = r;
  return {
    ...rest,
    keys: series.size,
    scored,
    upShare: nonZero === 0 ? NaN : ups / nonZero,
    garchFallbacks: fallbacks,
    garchFallbackReasons: reasons,
    garchFits: engine.garchFits,
  };
}

type Tally = ReturnType<typeof blankReport>;

// Scores one forecast of every model and baseline; skipped unless every model forecast.
function score(r: Tally, ps: readonly Prediction[], realised: number, previous: number): void {
  const get = (m: string) => ps.find((p) => p.model === m);
  const ridge = get("ridge"), ewma = get("ewma"), garch = get("garch");
  if (ridge?.predictedReturn == null || ewma?.predictedVol == null || garch?.predictedVol == null) {
    return;
  }
  r.scored++;
  if (garch.fallback !== null) {
    r.fallbacks++;
    r.reasons[garch.fallback] = (r.reasons[garch.fallback] ?? 0) + 1;
  }
  r.ridge.add(ridge.predictedReturn, realised);
  r.zero.add(0, realised);
  r.direction.add(ridge.predictedReturn, realised);
  if (realised !== 0) {
    r.nonZero++;
    if (realised > 0) r.ups++;
    r.brier.add((ridge.probUp! - (realised > 0 ? 1 : 0)) ** 2);
  }
  const h: Record<VolModel, number> = {
    ewma: ewma.predictedVol ** 2,
    garch: garch.predictedVol ** 2,
    squared_return: previous * previous,
  };
  const loss = {} as Record<VolModel, number>;
  for (const m of VOL_MODELS) {
    if (h[m] < MIN_VARIANCE) r.floored[m]++;
    loss[m] = qlike(Math.max(h[m], MIN_VARIANCE), realised * realised);
    r.qlike[m].add(loss[m]);
    r.varianceMse[m].add((realised * realised - h[m]) ** 2);
  }
  for (const m of VOL_MODELS) r.qlikeVsEwma[m].add(loss[m] - loss.ewma);
}

function blankReport() {
  const per = () => ({
    ewma: new RunningMean(),
    garch: new RunningMean(),
    squared_return: new RunningMean(),
  });
  return {
    ridge: new ReturnErrors(),
    zero: new ReturnErrors(),
    direction: new DirectionalAccuracy(),
    brier: new RunningMean(),
    qlike: per(),
    qlikeVsEwma: per(),
    varianceMse: per(),
    floored: { ewma: 0, garch: 0, squared_return: 0 },
    scored: 0,
    fallbacks: 0,
    ups: 0,
    nonZero: 0,
    reasons: {} as Record<string, number>,
    anomalyScored: 0,
    anomalyOver3: 0,
    anomalyOver6: 0,
  };
}
