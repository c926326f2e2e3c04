/**
 * Out-of-sample error measures for the forecasts and their naive baselines.
 * @module
 */

/** Mean, standard deviation and count of a stream of numbers (Welford). */
export class RunningMean {
  #n = 0;
  #mean = 0;
  #m2 = 0;

  add(x: number): void {
    this.#n++;
    const d = x - this.#mean;
    this.#mean += d / this.#n;
    this.#m2 += d * (x - this.#mean);
  }

  get n(): number {
    return this.#n;
  }

  /** NaN when empty. */
  get mean(): number {
    return this.#n === 0 ? NaN : this.#mean;
  }

  /** Sample standard deviation; NaN below two values. */
  get sd(): number {
    return this.#n < 2 ? NaN : Math.sqrt(this.#m2 / (this.#n - 1));
  }
}

/** MAE and RMSE of return forecasts. */
export class ReturnErrors {
  readonly #abs = new RunningMean();
  readonly #sq = new RunningMean();

  add(predicted: number, realised: number): void {
    const e = realised - predicted;
    this.#abs.add(Math.abs(e));
    this.#sq.add(e * e);
  }

  get n(): number {
    return this.#abs.n;
  }

  get mae(): number {
    return this.#abs.mean;
  }

  get rmse(): number {
    return Math.sqrt(this.#sq.mean);
  }
}

/**
 * The Wilson score interval for a proportion: successes out of n at normal quantile z
 * (1.96 for 95 %). [NaN, NaN] when n = 0.
 *
 * @example
 * ```ts
 * import { wilsonInterval } from "./evaluation_metrics.ts";
 * wilsonInterval(50, 100); // ≈ [0.4038, 0.5962]
 * ```
 */
export function wilsonInterval(successes: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [NaN, NaN];
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [centre - half, centre + half];
}

/**
 * QLIKE loss of a variance forecast h against the realised squared return r²:
 * ln h + r²/h (Patton 2011's robust loss up to a constant; lower is better, and only
 * differences between forecasts of the same returns mean anything).
 *
 * @example
 * ```ts
 * import { qlike } from "./evaluation_metrics.ts";
 * qlike(1, 1); // 1
 * ```
 */
export function qlike(h: number, r2: number): number {
  return Math.log(h) + r2 / h;
}

/** Directional hits: the forecast's sign against the realised one; zeros on either side skipped. */
export class DirectionalAccuracy {
  #hits = 0;
  #n = 0;

  add(predicted: number, realised: number): void {
    if (predicted === 0 || realised === 0) return;
    this.#n++;
    if (predicted > 0 === realised > 0) this.#hits++;
  }

  get n(): number {
    return this.#n;
  }

  get accuracy(): number {
    return this.#n === 0 ? NaN : this.#hits / this.#n;
  }

  /** 95 % Wilson interval of the accuracy. */
  get interval(): [number, number] {
    return wilsonInterval(this.#hits, this.#n);
  }
}
