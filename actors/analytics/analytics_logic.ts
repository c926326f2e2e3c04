/**
 * Binds the pure analytics (src/market) to the two stages that run them: candle rules with the
 * indicator engine in the analytics stage, tick rules (feed staleness, cross-source divergence)
 * in the window aggregator, which is the stage that sees every tick.
 * @module
 */
import { AnomalyDetector, type AnomalyOptions } from "../../src/market/anomaly/anomaly_detector.ts";
import type { RuleName } from "../../src/market/alert.ts";
import { type Candle, COMPOSITE_VENUE } from "../../src/market/candle.ts";
import type { ForecastConfig } from "../../src/config/pipeline_config.ts";
import { createCandleForecasts, forecastsOn } from "./candle_forecasts.ts";
import type { ForecastScoreSink } from "./forecast_metrics.ts";
import type { Alert } from "../../src/market/alert.ts";
import { IndicatorEngine, type IndicatorSettings } from "../../src/market/indicator_engine.ts";
import type { Tick } from "../../src/market/tick.ts";
import type { CandleAnalytics } from "./analytics_stage.ts";
import type { TickRules } from "../windows/window_core.ts";

const CANDLE_RULES: ReadonlySet<RuleName> = new Set([
  "price_spike",
  "volume_spike",
  "band_breakout",
]);
const NOTHING = { rows: [], alerts: [], predictions: [] } as const;
const TICK_RULES: ReadonlySet<RuleName> = new Set(["feed_stale", "source_divergence"]);

/** Indicator and rule settings shared by every partition. */
export interface AnalyticsSettings {
  /**
   * The venues whose candles the indicators and candle rules run on, each series (venue, symbol,
   * interval) on its own; rows and alerts carry their venue. Default: the composite only
   * (docs/analytics.md).
   */
  readonly venues?: readonly string[];
  readonly indicators?: IndicatorSettings;
  readonly anomalies?: Omit<AnomalyOptions, "rules">;
  /** Forecasts and the learned anomaly rule; absent or all off: none (docs/forecasts.md). */
  readonly forecasts?: ForecastConfig;
  /** Where live forecasts are scored for the metrics (actors/analytics/forecast_metrics.ts). */
  readonly forecastScores?: ForecastScoreSink;
}

/** The candle-level logic of one partition. */
export function createCandleAnalytics(settings: AnalyticsSettings = {}): CandleAnalytics {
  const engine = new IndicatorEngine(settings.indicators);
  const detector = new AnomalyDetector({ ...settings.anomalies, rules: CANDLE_RULES });
  const venues = new Set(settings.venues ?? [COMPOSITE_VENUE]);
  const f = settings.forecasts;
  const forecasts = f && forecastsOn(f)
    ? createCandleForecasts(f, {
      maxSeries: settings.indicators?.maxSeries,
      maxSymbols: settings.anomalies?.maxSymbols,
      cooldownMs: settings.anomalies?.cooldownMs,
      scores: settings.forecastScores,
      venues: [...venues],
    })
    : null;
  const indicators = (candle: Candle) => {
    const rows = engine.onCandle(candle);
    // Rows after a revised candle change too; the rules look at the candle's own row.
    const own = rows.find((r) => r.window_start === candle.window_start);
    const alerts: readonly Alert[] = own ? detector.onIndicators(candle, own) : [];
    return { rows, alerts };
  };
  return {
    onCandle(candle) {
      const own = venues.has(candle.venue) ? indicators(candle) : null;
      if (!forecasts) return own ? { ...own, predictions: [] } : NOTHING;
      // The forecasts see every venue's candles: the cross-source spread is computed from them.
      const out = forecasts.onCandle(candle);
      if (!own) return { rows: [], ...out };
      return {
        rows: own.rows,
        alerts: [...own.alerts, ...out.alerts],
        predictions: out.predictions,
      };
    },
    warmUp(candles) {
      for (const c of candles) if (venues.has(c.venue)) indicators(c);
      forecasts?.warmUp(candles);
    },
  };
}

/** The tick-level rules of one partition. */
export function createTickRules(settings: AnalyticsSettings = {}): TickRules {
  const detector = new AnomalyDetector({ ...settings.anomalies, rules: TICK_RULES });
  return {
    onTick: (tick: Tick, receivedAtMs: number, watermark: number) =>
      detector.onTick(tick, receivedAtMs, watermark),
    checkStale: (nowMs: number) => detector.checkStale(nowMs),
    restore: (reached: number) => detector.restoreTicks(reached),
    lookbackMs: detector.tickLookbackMs,
  };
}
