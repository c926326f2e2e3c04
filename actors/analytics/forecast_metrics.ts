/**
 * The forecasts' Prometheus metrics: rolling out-of-sample errors per model and baseline, per
 * interval (bounded by the configured intervals), and GARCH fallbacks by reason. One set per
 * registry, shared by every partition's analytics stage; published at each scrape.
 * @module
 */
import type { GarchFallback } from "../../src/market/forecast/prediction.ts";
import {
  RollingScores,
  type ScoredForecast,
  type ScoreSummary,
} from "../../src/market/forecast/rolling_scores.ts";
import {
  counter,
  gauge,
  onCollect,
  publishCounts,
  type Registry,
} from "../../src/telemetry/metrics.ts";

/** Scored forecasts in each interval's rolling window. */
export const ROLLING_FORECASTS = 1000;

/** Where the analytics stages report scored forecasts and GARCH fallbacks. */
export interface ForecastScoreSink {
  scored(interval: string, s: ScoredForecast): void;
  fallback(reason: GarchFallback): void;
}

const SINKS = new WeakMap<Registry, ForecastScoreSink>();

/** The registry's score sink, created (and its metrics registered) on first use. */
export function forecastScoreSink(registry: Registry): ForecastScoreSink {
  let sink = SINKS.get(registry);
  if (sink) return sink;
  const scores = new RollingScores(ROLLING_FORECASTS);
  const fallbacks = new Map<string, number>();
  publishCounts(
    registry,
    counter(registry, {
      name: "pipeline_forecast_garch_fallbacks_total",
      help: "GARCH forecasts served by EWMA instead, by reason",
      labelNames: ["reason"],
    }),
    fallbacks,
    (reason) => ({ reason }),
  );
  const publish = registerGauges(registry);
  onCollect(registry, () => {
    for (const interval of scores.intervals()) publish(interval, scores.summary(interval));
  });
  sink = {
    scored: (interval, s) => scores.add(interval, s),
    fallback: (reason) => fallbacks.set(reason, (fallbacks.get(reason) ?? 0) + 1),
  };
  SINKS.set(registry, sink);
  return sink;
}

function registerGauges(registry: Registry) {
  const g = (name: string, help: string, labelNames: string[]) =>
    gauge(registry, { name, help, labelNames });
  const n = g("pipeline_forecast_scored", "Forecasts in the rolling window of scored ones", [
    "interval",
  ]);
  const mae = g(
    "pipeline_forecast_return_mae",
    "Rolling MAE of the return forecast: ridge, and zero",
    [
      "interval",
      "model",
    ],
  );
  const rmse = g(
    "pipeline_forecast_return_rmse",
    "Rolling RMSE of the return forecast: ridge, and zero",
    [
      "interval",
      "model",
    ],
  );
  const dir = g(
    "pipeline_forecast_direction_accuracy",
    "Rolling sign hit rate of ridge, with its 95 % Wilson interval",
    ["interval", "bound"],
  );
  const q = g(
    "pipeline_forecast_volatility_qlike",
    "Rolling mean QLIKE of the variance forecast: ewma, garch, and the last squared return",
    ["interval", "model"],
  );
  return (interval: string, s: ScoreSummary) => {
    n.set({ interval }, s.n);
    if (s.returns > 0) {
      for (const model of ["ridge", "zero"] as const) {
        mae.set({ interval, model }, s.mae[model]);
        rmse.set({ interval, model }, s.rmse[model]);
      }
    }
    if (s.direction.n > 0) {
      dir.set({ interval, bound: "estimate" }, s.direction.accuracy);
      dir.set({ interval, bound: "lower" }, s.direction.ci[0]);
      dir.set({ interval, bound: "upper" }, s.direction.ci[1]);
    }
    if (s.volatility > 0) {
      for (const model of ["ewma", "garch", "squared_return"] as const) {
        q.set({ interval, model }, s.qlike[model]);
      }
    }
  };
}
