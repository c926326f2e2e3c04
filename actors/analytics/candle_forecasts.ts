/**
 * Binds the forecast engine and the `learned_anomaly` rule (src/market/forecast) to the analytics
 * stage: per (venue, symbol, interval), after each closed or revised candle, the prediction rows
 * and the rule's alert; at a new owner's start, a warm-up from the stored candles.
 * @module
 */
import type { ForecastConfig } from "../../src/config/pipeline_config.ts";
import type { Alert } from "../../src/market/alert.ts";
import { type Candle, COMPOSITE_VENUE, LEGACY_VENUE } from "../../src/market/candle.ts";
import { forecastCandle, type VenueWindow } from "../../src/market/forecast/cross_spread.ts";
import { ForecastEngine } from "../../src/market/forecast/forecast_engine.ts";
import { LearnedAnomalyRule } from "../../src/market/forecast/learned_anomaly_rule.ts";
import type { ForecastModel } from "../../src/market/forecast/prediction.ts";
import { type PredictionRow, predictionRows } from "../../src/market/forecast/prediction_row.ts";
import { parseInterval } from "../../src/market/interval.ts";
import { type WindowCandle, windowCandle } from "../../src/market/forecast/window_candle.ts";
import { ScoreTracker } from "../../src/market/forecast/score_tracker.ts";
import { VenueWindowBook } from "../../src/market/forecast/venue_window_book.ts";
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
  /** The venues whose series are forecast (`--analytics-venue`). Default: the composite. */
  readonly venues?: readonly string[];
}

/**
 * Forecasts and learned anomaly alerts of one partition. It takes every candle of the partition:
 * the forecast venues' series are forecast, and with the ridge model on every venue candle also
 * feeds the cross-source spread (src/market/forecast/cross_spread.ts).
 */
export interface CandleForecasts {
  onCandle(candle: Candle): { predictions: PredictionRow[]; alerts: Alert[] };
  /**
   * Takes stored candles (any order within a series; every venue's, for the cross-source spread)
   * without emitting anything.
   */
  warmUp(candles: readonly Candle[]): void;
}

/** What a batch of candles produced, in the order of {@linkcode CandleForecasts.onCandle}. */
export interface ForecastBatch {
  readonly predictions: PredictionRow[];
  /** Each alert with the index of the candle (in the batch) that raised it. */
  readonly alerts: [number, Alert][];
}

/**
 * A partition's forecasts a batch of candles at a time: {@linkcode inThread}, or on the forecast
 * worker (forecast_worker_client.ts), whose answers come later and in order.
 */
export interface BatchForecasts {
  onCandles(candles: readonly Candle[]): ForecastBatch | Promise<ForecastBatch>;
  warmUp(candles: readonly Candle[]): void | Promise<void>;
  /** The partition's forecasts are no longer needed (its stage stopped). */
  close(): void;
}

/** `forecasts` run in the caller's thread, a batch at a time. */
export function inThread(forecasts: CandleForecasts): BatchForecasts {
  return {
    onCandles(candles) {
      const batch: ForecastBatch = { predictions: [], alerts: [] };
      for (let i = 0; i < candles.length; i++) {
        const out = forecasts.onCandle(candles[i]);
        for (const row of out.predictions) batch.predictions.push(row);
        for (const a of out.alerts) batch.alerts.push([i, a]);
      }
      return batch;
    },
    warmUp: (candles) => forecasts.warmUp(candles),
    close() {},
  };
}

/** The engine and rule for `config`. */
export function createCandleForecasts(
  config: ForecastConfig,
  bounds: CandleForecastBounds = {},
): CandleForecasts {
  return new PartitionForecasts(config, bounds);
}

type Output = { predictions: PredictionRow[]; alerts: Alert[] };

class PartitionForecasts implements CandleForecasts {
  readonly #engine: ForecastEngine;
  readonly #rule: LearnedAnomalyRule;
  readonly #cooldownMs: number;
  readonly #venues: ReadonlySet<string>;
  /** Whether a forecast venue is a feed, not the composite. */
  readonly #venueSeries: boolean;
  /** The recent venue candles, for the spread; null without ridge, the one model reading it. */
  readonly #book: VenueWindowBook | null;
  readonly #sink: ForecastScoreSink | undefined;
  readonly #tracker: ScoreTracker | null;

  constructor(config: ForecastConfig, bounds: CandleForecastBounds) {
    this.#engine = engineFor(config, bounds.maxSeries);
    this.#cooldownMs = bounds.cooldownMs ?? 300_000;
    this.#rule = new LearnedAnomalyRule({
      threshold: config.learnedAnomalyThreshold,
      cooldownMs: this.#cooldownMs,
      maxKeys: bounds.maxSymbols,
    });
    this.#venues = new Set(bounds.venues ?? [COMPOSITE_VENUE]);
    this.#venueSeries = [...this.#venues].some((v) => v !== COMPOSITE_VENUE);
    this.#book = config.models.includes("ridge")
      ? new VenueWindowBook({ revisable: this.#engine.revisable, maxSeries: bounds.maxSeries })
      : null;
    this.#sink = bounds.scores;
    this.#tracker = this.#sink ? new ScoreTracker(bounds.maxSeries) : null;
  }

  onCandle(candle: Candle): Output {
    const out: Output = { predictions: [], alerts: [] };
    const book = this.#book;
    const changed = book?.add(candle, intervalMs(candle.interval)) ?? false;
    const own = this.#venues.has(candle.venue);
    // Another venue's change re-forecasts only venue series: with the composite alone (the
    // default) a venue candle is only kept for the spread.
    const others = changed && this.#venueSeries;
    if (!own && !others) return out;
    const held = book?.window(candle.symbol, candle.interval, candle.window_start);
    if (own) this.#apply(candle, this.#view(candle, held), true, out);
    if (!others) return out;
    // Another venue's candle of the window changed: the forecast venues' own candles of it now
    // have another spread and a higher version (cross_spread.ts), and are forecast again.
    for (const venue of [...held!.keys()].sort()) {
      const theirs = held!.get(venue)!;
      if (venue !== candle.venue && this.#venues.has(venue)) {
        this.#apply(theirs, this.#view(theirs, held), true, out);
      }
    }
    return out;
  }

  warmUp(candles: readonly Candle[]): void {
    const book = this.#book;
    // Every stored window's venue candles, for the spreads of the whole history; the book keeps
    // the recent ones for the live candles that follow.
    const windows = book ? venueWindows(candles) : null;
    if (book) {
      const ascending = [...candles].sort((a, b) => a.window_start - b.window_start);
      for (const c of ascending) book.add(c, intervalMs(c.interval));
    }
    const seen = (c: Candle) => this.#view(c, windows?.get(windowKey(c)));
    const discard: Output = { predictions: [], alerts: [] };
    for (const list of bySeries(candles.filter((c) => this.#venues.has(c.venue))).values()) {
      // Candles inside the cooldown of the newest are run through the rule to rebuild its
      // cooldown (as the candle rules' warm-up does); the older ones only fill the window.
      let newest = -Infinity;
      for (const c of list) newest = Math.max(newest, c.window_start);
      const recent = (c: Candle) => c.window_start > newest - this.#cooldownMs;
      const older: WindowCandle[] = [];
      for (const c of list) {
        const w = recent(c) ? null : seen(c);
        if (w !== null) older.push(w);
      }
      this.#engine.warmUp(keyOf(list[0]), intervalMs(list[0].interval), older);
      const tail = list.filter(recent).sort((a, b) => a.window_start - b.window_start);
      for (const c of tail) this.#apply(c, seen(c), false, discard);
    }
  }

  // What the engine sees of a series' candle, given its window's venue candles; null: nothing
  // to forecast (cross_spread.ts).
  #view(c: Candle, venues: VenueWindow | undefined): WindowCandle | null {
    return this.#book === null ? windowCandle(c) : forecastCandle(c, venues);
  }

  // Forecasts after `candle` (seen as `seen`) into `out`. `live` false: a warm-up, which
  // rebuilds state but counts nothing.
  #apply(candle: Candle, seen: WindowCandle | null, live: boolean, out: Output): void {
    if (seen === null) return;
    const key = keyOf(candle);
    const sink = this.#sink;
    for (const u of this.#engine.onCandle(key, intervalMs(candle.interval), seen)) {
      for (const row of predictionRows(candle, u)) out.predictions.push(row);
      // The rule looks at the candle's own score, as the candle rules look at its own row.
      if (u.windowStart !== candle.window_start) continue;
      const alert = this.#rule.evaluate({ ...candle, windowStart: u.windowStart }, u.anomalyScore);
      if (alert) out.alerts.push(alert);
      const scored = this.#tracker?.onCandle(key, candle, u) ?? null;
      if (!live || !sink) continue;
      if (scored) sink.scored(candle.interval, scored);
      for (const p of u.predictions) if (p.fallback) sink.fallback(p.fallback);
    }
  }
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

function keyOf(c: Pick<Candle, "venue" | "symbol" | "interval">): string {
  return `${c.venue}|${c.symbol}|${c.interval}`;
}

function windowKey(c: Candle): string {
  return `${c.symbol}|${c.interval}|${c.window_start}`;
}

// The latest candle of each venue per window (the composite and legacy rows are not venues).
function venueWindows(candles: readonly Candle[]): Map<string, Map<string, Candle>> {
  const out = new Map<string, Map<string, Candle>>();
  for (const c of candles) {
    if (c.venue === COMPOSITE_VENUE || c.venue === LEGACY_VENUE) continue;
    const key = windowKey(c);
    let w = out.get(key);
    if (w === undefined) out.set(key, w = new Map());
    const held = w.get(c.venue);
    if (held === undefined || held.version < c.version) w.set(c.venue, c);
  }
  return out;
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
