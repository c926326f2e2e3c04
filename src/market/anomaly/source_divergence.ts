/**
 * Rule `source_divergence`: two sources disagree on a symbol's price.
 * @module
 */
import type { Finding } from "./price_spike.ts";

/**
 * |a − b| as a percentage of their mean, when it exceeds `thresholdPercent` (critical from five
 * times that), else null. The mean makes the measure symmetric in the two sources.
 *
 * @example
 * ```ts
 * import { sourceDivergence } from "./source_divergence.ts";
 * sourceDivergence(100, 102, 1)?.value; // 1.98…
 * ```
 */
export function sourceDivergence(a: number, b: number, thresholdPercent: number): Finding | null {
  const percent = (Math.abs(a - b) / ((a + b) / 2)) * 100;
  if (!(percent > thresholdPercent)) return null;
  return { value: percent, severity: percent >= 5 * thresholdPercent ? "critical" : "warning" };
}
