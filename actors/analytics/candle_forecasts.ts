/**
 * Binds the forecast engine and the `learned_anomaly` rule (src/market/forecast) to the analytics
 * stage: per (venue, symbol, interval), after each closed or revised candle, the prediction rows
 * and the rule's alert; at a new owner's start, a warm-up from the stored candles.
 * @module
 */
import type { ForecastConfig } from "../../src/config/pipeline_config.ts";
import type { Alert } from "../../src/market/alert.ts";
import type { Candle } from "../../src/market/candle.ts";
import { ForecastEngine } from "../../src/market/forecast/forecast_engine.ts";
import { LearnedAnomalyRule } from "../../src/market/forecast/learned_anomaly_rule.ts";
import type { ForecastModel } from "../../src/market/forecast/prediction.ts";
import { type PredictionRow, predictionRows } from "../../src/market/forecast/prediction_row.ts";
import { parseInterval } from "../../src/market/interval.ts";
import type { WindowCandle } from "../../src/market/forecast/window_candle.ts";
import { ScoreTracker } from "../../src/market/forecast/score_tracker.ts";
import type { ForecastScoreSink } from "./forecast_metrics.ts";

/** What the stage needs besides the options. */
export interface CandleForecastBounds {
  /** (venue, symbol, interval) series held at once; beyond it the stalest is forgotten. */
  readonly maxSeries?: number;
  /** (symbol, rule) cooldowns held at once. */
  readonly maxSymbols?: number;
  /** The alert rules' cooldown in event time. Default 300 000 ms, as the other rules. */
  readonly cooldownMs?: number;
  /** Where scored forecasts and GARCH fallbacks are counted (the metrics); none: not scored. */
  readonly scores?: ForecastScoreSink;
}

/** Forecasts and learned anomaly alerts of one partition. */
export interface CandleForecasts {
  onCandle(candle: Candle): { predictions: PredictionRow[]; alerts: Alert[] };
  /** Takes stored candles (any order within a series) without emitting anything. */
  warmUp(candles: readonly Candle[]): void;
}

/** Whether `config` asks for any forecast work at all. */
export function forecastsOn(config: ForecastConfig): boolean {
  return config.models.length > 0 || config.learnedAnomaly;
}

/** The engine and rule for `config`. */
export function createCandleForecasts(
  config: ForecastConfig,
  bounds: CandleForecastBounds = {},
): CandleForecasts {
  const engine = engineFor(config, bounds.maxSeries);
  const cooldownMs = bounds.cooldownMs ?? 300_000;
  const rule = new LearnedAnomalyRule({
    threshold: config.learnedAnomalyThreshold,
    cooldownMs,
    maxKeys: bounds.maxSymbols,
  });
  const sink = bounds.scores;
  const tracker = sink ? new ScoreTracker(bounds.maxSeries) : null;
  // `live` false: a warm-up, which rebuilds state but counts nothing.
  const apply = (candle: Candle, live: boolean) => {
    const key = keyOf(candle);
    const updates = engine.onCandle(key, intervalMs(candle.interval), slim(candle));
    const predictions: PredictionRow[] = [];
    const alerts: Alert[] = [];
    for (const u of updates) {
      for (const row of predictionRows(candle, u)) predictions.push(row);
      // The rule looks at the candle's own score, as the candle rules look at its own row.
      if (u.windowStart !== candle.window_start) continue;
      const alert = rule.evaluate({ ...candle, windowStart: u.windowStart }, u.anomalyScore);
      if (alert) alerts.push(alert);
      const scored = tracker?.onCandle(key, candle, u) ?? null;
      if (!live || !sink) continue;
      if (scored) sink.scored(candle.interval, scored);
      for (const p of u.predictions) if (p.fallback) sink.fallback(p.fallback);
    }
    return { predictions, alerts };
  };
  return {
    onCandle: (candle) => apply(candle, true),
    warmUp(candles) {
      for (const series of bySeries(candles).values()) {
        // Candles inside the cooldown of the newest are run through the rule to rebuild its
        // cooldown (as the candle rules' warm-up does); the older ones only fill the window.
        let newest = -Infinity;
        for (const c of series) newest = Math.max(newest, c.window_start);
        const recent = (c: Candle) => c.window_start > newest - cooldownMs;
        const first = series[0];
        const older = series.filter((c) => !recent(c)).map(slim);
        engine.warmUp(keyOf(first), intervalMs(first.interval), older);
        const tail = series.filter(recent).sort((a, b) => a.window_start - b.window_start);
        for (const c of tail) apply(c, false);
      }
    },
  };
}

function engineFor(config: ForecastConfig, maxSeries: number | undefined): ForecastEngine {
  return new ForecastEngine({
    models: new Set<ForecastModel>(config.models),
    window: config.window,
    lambda: config.ewmaLambda,
    refitEvery: config.refitEvery,
    garch: { method: config.garchMethod },
    ridge: { alpha: config.ridgeAlpha },
    anomalyWindow: config.learnedAnomalyWindow,
    anomaly: config.learnedAnomaly ? { seed: config.learnedAnomalySeed } : null,
    maxKeys: maxSeries,
  });
}

const INTERVAL_MS = new Map<string, number>();

/** An interval name's length, parsed once. */
function intervalMs(interval: string): number {
  let ms = INTERVAL_MS.get(interval);
  if (ms === undefined) INTERVAL_MS.set(interval, ms = parseInterval(interval).ms);
  return ms;
}

// What the engine keeps of a candle (N + 16 per series): the fields the models read, not the
// whole record with its strings and composite lists.
function slim(c: Candle): WindowCandle {
  return {
    window_start: c.window_start,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: c.volume,
    version: c.version,
  };
}

function keyOf(c: Pick<Candle, "venue" | "symbol" | "interval">): string {
  return `${c.venue}|${c.symbol}|${c.interval}`;
}

function bySeries(candles: readonly Candle[]): Map<string, Candle[]> {
  const out = new Map<string, Candle[]>();
  for (const c of candles) {
    const key = keyOf(c);
    const list = out.get(key);
    if (list) list.push(c);
    else out.set(key, [c]);
  }
  return out;
}
