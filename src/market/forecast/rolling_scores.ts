/**
 * Rolling out-of-sample scores of the live forecasts against their naive baselines: the last
 * `capacity` scored forecasts per interval, summarised on demand (at a metrics scrape).
 * @module
 */
import { qlike, wilsonInterval } from "./evaluation_metrics.ts";
import { MIN_VARIANCE } from "./walk_forward.ts";

/** One forecast scored on its target window's realised log return. */
export interface ScoredForecast {
  readonly realised: number;
  /** Ridge's predicted return; null when ridge is off or had no model. */
  readonly ridge: number | null;
  /** Variance forecasts: EWMA, GARCH, and the last squared return (the naive baseline). */
  readonly ewma: number | null;
  readonly garch: number | null;
  readonly squaredReturn: number | null;
}

/** The summary of one interval's window of scored forecasts; NaN where nothing was scored. */
export interface ScoreSummary {
  /** Forecasts in the window. */
  readonly n: number;
  /** Return forecasts scored (ridge present) and their MAE / RMSE, ridge against zero. */
  readonly returns: number;
  readonly mae: { readonly ridge: number; readonly zero: number };
  readonly rmse: { readonly ridge: number; readonly zero: number };
  /** Sign hits of ridge (zeros skipped) with the 95 % Wilson interval. */
  readonly direction: {
    readonly n: number;
    readonly accuracy: number;
    readonly ci: [number, number];
  };
  /** Mean QLIKE of each variance forecast, over the forecasts where all three exist. */
  readonly volatility: number;
  readonly qlike: {
    readonly ewma: number;
    readonly garch: number;
    readonly squared_return: number;
  };
}

/** Ring buffers of scored forecasts, one per interval. */
export class RollingScores {
  readonly #capacity: number;
  readonly #rings = new Map<string, { items: ScoredForecast[]; next: number }>();

  constructor(capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`RollingScores capacity must be an integer ≥ 1, got ${capacity}`);
    }
    this.#capacity = capacity;
  }

  add(interval: string, s: ScoredForecast): void {
    let ring = this.#rings.get(interval);
    if (!ring) this.#rings.set(interval, ring = { items: [], next: 0 });
    if (ring.items.length < this.#capacity) ring.items.push(s);
    else ring.items[ring.next] = s;
    ring.next = (ring.next + 1) % this.#capacity;
  }

  /** Intervals with scores. */
  intervals(): string[] {
    return [...this.#rings.keys()];
  }

  summary(interval: string): ScoreSummary {
    return summarise(this.#rings.get(interval)?.items ?? []);
  }
}

/** MAE, RMSE, direction and QLIKE over `items` (order does not matter). */
export function summarise(items: readonly ScoredForecast[]): ScoreSummary {
  let returns = 0, absR = 0, absZ = 0, sqR = 0, sqZ = 0, dirN = 0, hits = 0;
  let vol = 0, qE = 0, qG = 0, qS = 0;
  for (const s of items) {
    if (s.ridge !== null) {
      returns++;
      const e = s.realised - s.ridge;
      absR += Math.abs(e);
      sqR += e * e;
      absZ += Math.abs(s.realised);
      sqZ += s.realised * s.realised;
      if (s.ridge !== 0 && s.realised !== 0) {
        dirN++;
        if (s.ridge > 0 === s.realised > 0) hits++;
      }
    }
    if (s.ewma !== null && s.garch !== null && s.squaredReturn !== null) {
      vol++;
      const r2 = s.realised * s.realised;
      qE += qlike(Math.max(s.ewma, MIN_VARIANCE), r2);
      qG += qlike(Math.max(s.garch, MIN_VARIANCE), r2);
      qS += qlike(Math.max(s.squaredReturn, MIN_VARIANCE), r2);
    }
  }
  const mean = (x: number, n: number) => n === 0 ? NaN : x / n;
  return {
    n: items.length,
    returns,
    mae: { ridge: mean(absR, returns), zero: mean(absZ, returns) },
    rmse: { ridge: Math.sqrt(mean(sqR, returns)), zero: Math.sqrt(mean(sqZ, returns)) },
    direction: { n: dirN, accuracy: mean(hits, dirN), ci: wilsonInterval(hits, dirN) },
    volatility: vol,
    qlike: { ewma: mean(qE, vol), garch: mean(qG, vol), squared_return: mean(qS, vol) },
  };
}
