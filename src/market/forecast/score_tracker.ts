/**
 * Pairs each series' latest forecasts with the candle of their target window, once it closes,
 * giving the scored forecasts {@linkcode RollingScores} keeps.
 * @module
 */
import { evictOldest } from "../evict_oldest.ts";
import type { ForecastUpdate } from "./prediction.ts";
import type { ScoredForecast } from "./rolling_scores.ts";

interface SeriesState {
  /** The newest candle and the close before it (for the last squared return). */
  lastStart: number;
  lastClose: number;
  prevClose: number | null;
  /** The forecasts after the newest candle, for the window after it; null once scored. */
  pending: Omit<ScoredForecast, "realised"> & { target: number } | null;
}

/**
 * Per series: the forecasts after its newest candle wait for the next candle; when it is their
 * target window (no gap), they are scored on ln(close / base close), once — the first close of
 * the target counts, as a live dashboard sees it. A revision of the newest candle replaces its
 * forecasts; revisions of older candles score nothing. At most `maxSeries` series are held.
 */
export class ScoreTracker {
  readonly #series = new Map<string, SeriesState>();
  readonly #maxSeries: number;

  constructor(maxSeries = Infinity) {
    this.#maxSeries = maxSeries;
  }

  /**
   * Takes the candle's own forecast update; returns the score of the forecasts its window was
   * the target of, or null.
   */
  onCandle(
    key: string,
    candle: { window_start: number; close: number },
    own: ForecastUpdate,
  ): ScoredForecast | null {
    const s = this.#series.get(key);
    if (s && candle.window_start < s.lastStart) return null;
    let scored: ScoredForecast | null = null;
    let state: SeriesState;
    if (s && candle.window_start === s.lastStart) {
      state = s; // a revision of the newest candle
      state.lastClose = candle.close;
    } else {
      if (s?.pending && s.pending.target === candle.window_start && s.lastClose > 0) {
        const { target: _, ...forecasts } = s.pending;
        scored = { ...forecasts, realised: Math.log(candle.close / s.lastClose) };
      }
      state = {
        lastStart: candle.window_start,
        lastClose: candle.close,
        prevClose: s?.lastClose ?? null,
        pending: null,
      };
      this.#series.set(key, state);
      if (this.#series.size > this.#maxSeries) {
        evictOldest(this.#series, this.#maxSeries, (v) => v.lastStart);
      }
    }
    state.pending = pendingOf(state, own);
    return scored;
  }
}

function pendingOf(s: SeriesState, own: ForecastUpdate): SeriesState["pending"] {
  const by = (m: string) => own.predictions.find((p) => p.model === m);
  const vol = (m: string) => {
    const v = by(m)?.predictedVol;
    return v === null || v === undefined ? null : v * v;
  };
  // The previous candle's return, across a gap too: consecutive candles, as the evaluation
  // (walk_forward.ts) scores the baseline.
  const r = s.prevClose !== null && s.prevClose > 0 ? Math.log(s.lastClose / s.prevClose) : null;
  return {
    target: own.targetWindowStart,
    ridge: by("ridge")?.predictedReturn ?? null,
    ewma: vol("ewma"),
    garch: vol("garch"),
    squaredReturn: r === null ? null : r * r,
  };
}
