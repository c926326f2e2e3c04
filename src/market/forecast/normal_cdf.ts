/**
 * The standard normal distribution function.
 * @module
 */

/**
 * Φ(z) = ½·erfc(−z/√2), erfc by the Chebyshev fit of Numerical Recipes (§6.2, `erfcc`):
 * absolute error below 1.2e-7 everywhere, ample for a probability of an up move.
 *
 * @example
 * ```ts
 * import { normalCdf } from "./normal_cdf.ts";
 * normalCdf(0); // 0.5 (within 1.2e-7)
 * ```
 */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 +
            t * (0.37409196 +
                t * (0.09678418 +
                    t * (-0.18628806 +
                        t * (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
