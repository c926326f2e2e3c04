/**
 * Forecasts per key on closed candles, recomputed when a candle is revised.
 * @module
 */
import { evictOldest } from "../evict_oldest.ts";
import { type LearnedAnomalyOptions, LearnedAnomalyScorer } from "./learned_anomaly.ts";
import type { ForecastUpdate, GarchFallback } from "./prediction.ts";
import {
  type FitCache,
  forecastRange,
  type ForecastSettings,
  type ResolvedSettings,
  resolveSettings,
} from "./forecast_window.ts";
import { CandleColumns } from "./candle_columns.ts";
import type { WindowCandle } from "./window_candle.ts";

/** Options of {@linkcode ForecastEngine}. */
export interface ForecastEngineOptions extends ForecastSettings {
  /** The learned anomaly score's forest; null turns the score off. Default: on, seed 1. */
  anomaly?: LearnedAnomalyOptions | null;
  /**
   * Intervals before a key's newest candle within which a candle can still be revised (or
   * arrive late) and recompute. Default 16.
   */
  revisable?: number;
  /** Keys kept at once; beyond it the key whose newest candle is oldest is forgotten. Default ∞. */
  maxKeys?: number;
}

interface Series {
  readonly intervalMs: number;
  readonly cols: CandleColumns;
  readonly fits: Map<string, unknown>;
  readonly cache: FitCache;
}

// Fitted models remembered per key: three per block (GARCH, ridge, anomaly reference), for the
// current block and a few older ones that revisions may need again.
const FITS_PER_KEY = 12;

/**
 * Keeps the closed candles of the last N + `revisable` intervals of each key (a generic string,
 * e.g. venue, symbol and interval joined) and, for each closed or revised candle, returns the
 * forecasts after it and after every later candle it changes. Each forecast is a pure function
 * of the candles of the N intervals ending with its candle ({@linkcode forecastWindow}), so the
 * same closed candles give the same forecasts whatever order or batching they arrive in, and an
 * engine warmed up with a key's stored candles of the last N intervals continues exactly as an
 * uninterrupted one.
 *
 * @example
 * ```ts
 * import { ForecastEngine } from "./forecast_engine.ts";
 * const engine = new ForecastEngine({ window: 50, refitEvery: 10, anomaly: null });
 * const c = { window_start: 0, high: 1, low: 1, close: 1, volume: 0, version: 1 };
 * engine.onCandle("sim|BTC-USD|1m", 60_000, c)[0].targetWindowStart; // 60000
 * ```
 */
export class ForecastEngine {
  readonly #s: ResolvedSettings;
  readonly #scorer: LearnedAnomalyScorer | null;
  readonly #revisable: number;
  readonly #maxKeys: number;
  readonly #series = new Map<string, Series>();
  #fits = 0;
  readonly #fallbacks = new Map<GarchFallback, number>();

  constructor(options: ForecastEngineOptions = {}) {
    this.#s = resolveSettings(options);
    this.#scorer = options.anomaly === null ? null : new LearnedAnomalyScorer(options.anomaly);
    this.#revisable = options.revisable ?? 16;
    this.#maxKeys = options.maxKeys ?? Infinity;
    if (!Number.isInteger(this.#revisable) || this.#revisable < 0) {
      throw new RangeError(
        `ForecastEngine revisable must be an integer ≥ 0, got ${this.#revisable}`,
      );
    }
  }

  /**
   * Intervals of stored candles per key a new owner should warm up with, ending with the newest:
   * N + `revisable`. The last N suffice for the forecasts after new candles; the extra ones let
   * revisions recompute exactly too.
   */
  get warmUpIntervals(): number {
    return this.#s.window + this.#revisable;
  }

  /** Intervals before a key's newest candle within which a candle can still be revised. */
  get revisable(): number {
    return this.#revisable;
  }

  /** Keys holding candles now. */
  get keys(): number {
    return this.#series.size;
  }

  /** GARCH fits run so far. */
  get garchFits(): number {
    return this.#fits;
  }

  /** GARCH forecasts served by EWMA instead, by reason. */
  get garchFallbacks(): ReadonlyMap<GarchFallback, number> {
    return this.#fallbacks;
  }

  /**
   * Forecasts after `candle` and after every later candle of the key it changes, in window
   * order; nothing for a redelivered or older version, or a revision older than the revisable
   * candles. `intervalMs` is the key's interval length.
   */
  onCandle(key: string, intervalMs: number, candle: WindowCandle): ForecastUpdate[] {
    const s = this.#seriesOf(key, intervalMs);
    const at = this.#insert(s, candle);
    if (at < 0) return [];
    const out: ForecastUpdate[] = [];
    for (let j = at; j < s.cols.length; j++) out.push(this.#forecastAt(key, s, j));
    this.#trim(s);
    return out;
  }

  /** Takes a key's stored candles (any order) without forecasting: a new owner's warm-up. */
  warmUp(key: string, intervalMs: number, candles: readonly WindowCandle[]): void {
    const s = this.#seriesOf(key, intervalMs);
    for (const c of candles) this.#insert(s, c, true);
    this.#trim(s);
  }

  // Inserts or replaces; the index, or −1 when the candle changes nothing or is too old: more
  // than `revisable` intervals before the key's newest candle (a warm-up takes any).
  #insert(s: Series, candle: WindowCandle, warmUp = false): number {
    const { cols } = s;
    const n = cols.length;
    let i = n;
    while (i > 0 && cols.start[i - 1] > candle.window_start) i--;
    const existing = i > 0 && cols.start[i - 1] === candle.window_start;
    const at = existing ? i - 1 : i;
    if (existing && candle.version <= cols.version[at]) return -1;
    const newest = n === 0 ? -Infinity : cols.start[n - 1];
    if (!warmUp && candle.window_start <= newest - this.#revisable * s.intervalMs) return -1;
    cols.put(at, candle, existing);
    return at;
  }

  #forecastAt(key: string, s: Series, j: number): ForecastUpdate {
    // The candles of the N intervals ending with candle j (at most N candles).
    const from = s.cols.start[j] - (this.#s.window - 1) * s.intervalMs;
    const window = { cols: s.cols, from: s.cols.firstAtOrAfter(from, j), to: j };
    const update = forecastRange(key, s.intervalMs, window, this.#s, {
      scorer: this.#scorer,
      fits: s.cache,
    });
    for (const p of update.predictions) {
      if (p.fallback !== null) {
        this.#fallbacks.set(p.fallback, (this.#fallbacks.get(p.fallback) ?? 0) + 1);
      }
    }
    return update;
  }

  #seriesOf(key: string, intervalMs: number): Series {
    let s = this.#series.get(key);
    if (s === undefined || s.intervalMs !== intervalMs) {
      if (!(intervalMs > 0)) throw new RangeError(`ForecastEngine: bad interval ${intervalMs} ms`);
      if (s === undefined && this.#series.size >= this.#maxKeys) {
        evictOldest(this.#series, this.#maxKeys - 1, newest);
      }
      const fits = new Map<string, unknown>();
      const cache: FitCache = {
        has: (id) => fits.has(id),
        get: (id) => fits.get(id),
        set: (id, fit) => {
          if (id.startsWith("garch:")) this.#fits++;
          fits.set(id, fit);
          while (fits.size > FITS_PER_KEY) fits.delete(fits.keys().next().value!);
        },
      };
      s = { intervalMs, cols: new CandleColumns(), fits, cache };
      this.#series.set(key, s);
    }
    return s;
  }

  // Keeps the last N + revisable intervals: every window a revision can still recompute.
  #trim(s: Series): void {
    const n = s.cols.length;
    if (n === 0) return;
    const keep = s.cols.start[n - 1] - (this.#s.window + this.#revisable - 1) * s.intervalMs;
    let extra = 0;
    while (extra < n && s.cols.start[extra] < keep) extra++;
    s.cols.dropFirst(extra);
  }
}

function newest(s: Series): number {
  return s.cols.length === 0 ? -Infinity : s.cols.start[s.cols.length - 1];
}
