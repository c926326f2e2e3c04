/**
 * The learned anomaly score: Half-Space Trees over candle features, the last candle of a window
 * against the ones before it.
 * @module
 */
import { HalfSpaceTrees } from "./half_space_trees.ts";
import type { WindowCandle } from "./window_candle.ts";
import { logReturn } from "./log_returns.ts";

/** Options of {@linkcode LearnedAnomalyScorer}. */
export interface LearnedAnomalyOptions {
  /** Trees, depth and seed of the forest. Default 25, 8, 1. */
  trees?: number;
  depth?: number;
  seed?: number;
  /** Node mass at which a path stops, as a fraction of the reference size. Default 0.1 (the paper's). */
  sizeLimitFraction?: number;
  /** Reference candles needed before scoring. Default 30. */
  minReference?: number;
}

/** The candle features scored: log return, log range, log(1 + volume). */
export const ANOMALY_FEATURES = ["log_return", "log_range", "log_volume"] as const;

/**
 * Per candle from the second: [ln(cₜ/cₜ₋₁), ln(high/low), ln(1 + volume)]; null for the first.
 */
export function anomalyFeatures(candles: readonly WindowCandle[]): (number[] | null)[] {
  return candles.map((c, t) =>
    t === 0
      ? null
      : [logReturn(candles[t - 1].close, c.close), Math.log(c.high / c.low), Math.log1p(c.volume)]
  );
}

/**
 * Scores the last candle of a window: the others are the reference. Each feature is mapped by
 * the reference's mean and σ to u = ½ + z/8 (±4σ spans the unit interval Half-Space Trees
 * assume; σ = 0 maps to ½). The score, in bits, is log₂(median reference score / the candle's
 * score): 0 for a typical candle, +1 for each halving of the mass it lands in. A pure function of
 * the window (and the seed).
 *
 * @example
 * ```ts
 * import { LearnedAnomalyScorer } from "./learned_anomaly.ts";
 * const scorer = new LearnedAnomalyScorer();
 * scorer.score([]); // null: no reference yet
 * ```
 */
export class LearnedAnomalyScorer {
  readonly #hst: HalfSpaceTrees;
  readonly #fraction: number;
  readonly #minReference: number;

  constructor(options: LearnedAnomalyOptions = {}) {
    this.#hst = new HalfSpaceTrees({
      dims: ANOMALY_FEATURES.length,
      trees: options.trees,
      depth: options.depth,
      seed: options.seed,
    });
    this.#fraction = options.sizeLimitFraction ?? 0.1;
    this.#minReference = options.minReference ?? 30;
  }

  /** The last candle's score in bits against the candles before it, or null with too little reference. */
  score(candles: readonly WindowCandle[]): number | null {
    const ref = this.reference(candles.slice(0, -1));
    return ref === null ? null : this.scoreAgainst(ref, candles);
  }

  /** The reference made of `candles`: feature mapping, median score, a new point's score terms. */
  reference(candles: readonly WindowCandle[]): AnomalyReference | null {
    const features = anomalyFeatures(candles).filter((f): f is number[] => f !== null);
    if (features.length < this.#minReference) return null;
    const map = unitMapping(features);
    const ref = features.map(map);
    const limit = this.#fraction * ref.length;
    const { mass, scores } = this.#hst.massAndScores(ref, limit);
    const median = scores.sort()[scores.length >> 1];
    return { map, median, newPoint: this.#hst.scoreTable(mass, limit, 1) };
  }

  /** The last of `candles` (it needs the one before it) scored against a reference. */
  scoreAgainst(ref: AnomalyReference, candles: readonly WindowCandle[]): number | null {
    if (candles.length < 2) return null;
    const latest = anomalyFeatures(candles.slice(-2))[1]!;
    return Math.log2(ref.median / this.#hst.scoreFrom(ref.newPoint, ref.map(latest)));
  }
}

/**
 * A reference set, prepared once and used to score many candles. It keeps a new point's score
 * terms per leaf rather than the trees' node mass: that is all scoring needs, and half the size
 * (up to 12 fitted models are held per series).
 */
export interface AnomalyReference {
  readonly map: (x: readonly number[]) => number[];
  readonly median: number;
  /** The trees' score terms of a point not in the reference, per leaf (`HalfSpaceTrees.scoreTable`). */
  readonly newPoint: Float32Array;
}

function unitMapping(rows: readonly number[][]): (x: readonly number[]) => number[] {
  const p = rows[0].length;
  const mean = new Array<number>(p).fill(0), sd = new Array<number>(p).fill(0);
  for (const r of rows) for (let j = 0; j < p; j++) mean[j] += r[j] / rows.length;
  for (const r of rows) for (let j = 0; j < p; j++) sd[j] += (r[j] - mean[j]) ** 2 / rows.length;
  for (let j = 0; j < p; j++) sd[j] = Math.sqrt(sd[j]);
  return (x) => x.map((v, j) => (sd[j] > 0 ? 0.5 + (v - mean[j]) / sd[j] / 8 : 0.5));
}
