/**
 * Binds the pure analytics (src/market) to the two stages that run them: candle rules with the
 * indicator engine in the analytics stage, tick rules (feed staleness, cross-source divergence)
 * in the window aggregator, which is the stage that sees every tick.
 * @module
 */
import { AnomalyDetector, type AnomalyOptions } from "../../src/market/anomaly/anomaly_detector.ts";
import type { RuleName } from "../../src/market/alert.ts";
import { type Candle, COMPOSITE_VENUE } from "../../src/market/candle.ts";
import { type ForecastConfig, forecastsOn } from "../../src/config/pipeline_config.ts";
import {
  type BatchForecasts,
  type CandleForecastBounds,
  createCandleForecasts,
  type ForecastBatch,
  inThread,
} from "./candle_forecasts.ts";
import type { ForecastWorkerClient } from "./forecast_worker_client.ts";
import type { ForecastScoreSink } from "./forecast_metrics.ts";
import type { Alert } from "../../src/market/alert.ts";
import { IndicatorEngine, type IndicatorSettings } from "../../src/market/indicator_engine.ts";
import type { Tick } from "../../src/market/tick.ts";
import type { CandleAnalytics, CandleOutput } from "./analytics_stage.ts";
import type { IndicatorRow } from "../../src/market/indicator_row.ts";
import type { TickRules } from "../windows/window_core.ts";

const CANDLE_RULES: ReadonlySet<RuleName> = new Set([
  "price_spike",
  "volume_spike",
  "band_breakout",
]);
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

/** The candle-level logic of one partition, every part in this thread. */
export function createCandleAnalytics(settings: AnalyticsSettings = {}): LocalCandleAnalytics {
  const f = settings.forecasts;
  const forecasts = f && forecastsOn(f)
    ? inThread(createCandleForecasts(f, forecastBounds(settings)))
    : null;
  const logic = candleAnalytics(settings, forecasts);
  return { ...logic, onCandle: (candle) => logic.onCandles([candle]) as CandleOutput };
}

/**
 * The candle-level logic of partition `partition` with its forecasts on the forecast worker: the
 * same output as {@linkcode createCandleAnalytics}'s, a batch later.
 */
export function createCandleAnalyticsOn(
  worker: ForecastWorkerClient,
  partition: number,
  settings: AnalyticsSettings = {},
): CandleAnalytics {
  const f = settings.forecasts;
  const forecasts = f && forecastsOn(f)
    ? worker.open(partition, f, forecastBounds(settings))
    : null;
  return candleAnalytics(settings, forecasts);
}

/** {@linkcode CandleAnalytics} in this thread, also a candle at a time. */
export interface LocalCandleAnalytics extends CandleAnalytics {
  onCandle(candle: Candle): CandleOutput;
}

function forecastBounds(settings: AnalyticsSettings): CandleForecastBounds {
  return {
    maxSeries: settings.indicators?.maxSeries,
    maxSymbols: settings.anomalies?.maxSymbols,
    cooldownMs: settings.anomalies?.cooldownMs,
    scores: settings.forecastScores,
    venues: [...(settings.venues ?? [COMPOSITE_VENUE])],
  };
}

type Own = { rows: readonly IndicatorRow[]; alerts: readonly Alert[] } | null;

function candleAnalytics(
  settings: AnalyticsSettings,
  forecasts: BatchForecasts | null,
): CandleAnalytics {
  const engine = new IndicatorEngine(settings.indicators);
  const detector = new AnomalyDetector({ ...settings.anomalies, rules: CANDLE_RULES });
  const venues = new Set(settings.venues ?? [COMPOSITE_VENUE]);
  const indicators = (candle: Candle): Own => {
    if (!venues.has(candle.venue)) return null;
    const rows = engine.onCandle(candle);
    // Rows after a revised candle change too; the rules look at the candle's own row.
    const own = rows.find((r) => r.window_start === candle.window_start);
    const alerts: readonly Alert[] = own ? detector.onIndicators(candle, own) : [];
    return { rows, alerts };
  };
  return {
    onCandles(candles) {
      // The indicators and the forecasts keep separate state: all of a batch's indicators
      // first give what one candle at a time gives. The forecasts see every venue's candles
      // (the cross-source spread is computed from them).
      const own = candles.map(indicators);
      if (!forecasts) return merge(own, null);
      const batch = forecasts.onCandles(candles);
      return batch instanceof Promise ? batch.then((b) => merge(own, b)) : merge(own, batch);
    },
    warmUp(candles) {
      for (const c of candles) indicators(c);
      return forecasts?.warmUp(candles);
    },
    close() {
      forecasts?.close();
    },
  };
}

// A batch's output as its candles one at a time give it: per candle, its indicator rows, its
// rule alerts, then its forecasts' alerts.
function merge(own: readonly Own[], batch: ForecastBatch | null): CandleOutput {
  const rows: IndicatorRow[] = [];
  const alerts: Alert[] = [];
  const theirs = batch?.alerts ?? [];
  let k = 0;
  for (let i = 0; i < own.length; i++) {
    const o = own[i];
    if (o) {
      for (const r of o.rows) rows.push(r);
      for (const a of o.alerts) alerts.push(a);
    }
    while (k < theirs.length && theirs[k][0] === i) alerts.push(theirs[k++][1]);
  }
  return { rows, alerts, predictions: batch?.predictions ?? [] };
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
