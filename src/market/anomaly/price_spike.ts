/**
 * Rule `price_spike`: the latest log return is an outlier against the previous ones.
 * @module
 */
import type { Severity } from "../alert.ts";

/** Options of {@linkcode priceSpike}. */
export interface PriceSpikeOptions {
  /** Previous returns to compare with. Default 30. */
  lookback: number;
  /** |z| at which to alert. Default 4; critical at twice that. */
  zThreshold: number;
}

/** A rule's finding: the measured value and its severity. */
export interface Finding {
  readonly value: number;
  readonly severity: Severity;
}

/**
 * z = (rₜ − mean)/σ of the latest log return rₜ = ln(cₜ/cₜ₋₁) against the `lookback` returns
 * before it (sample σ). `closes` ends with the latest close and needs lookback + 2 entries.
 * Null when there is too little history, when σ = 0 (z undefined), or when |z| is below the
 * threshold.
 *
 * @example
 * ```ts
 * import { priceSpike } from "./price_spike.ts";
 * const closes = [100, 101, 100, 101, 100, 120];
 * priceSpike(closes, { lookback: 4, zThreshold: 4 })?.severity; // "critical"
 * ```
 */
export function priceSpike(closes: readonly number[], options: PriceSpikeOptions): Finding | null {
  const n = options.lookback;
  const last = closes.length - 1;
  if (last < n + 1 || n < 2) return null;
  const ret = (i: number) => Math.log(closes[i] / closes[i - 1]);
  let mean = 0;
  for (let i = last - n; i < last; i++) mean += ret(i);
  mean /= n;
  let ss = 0;
  for (let i = last - n; i < last; i++) ss += (ret(i) - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  if (!(sd > 0)) return null;
  const z = (ret(last) - mean) / sd;
  if (Math.abs(z) < options.zThreshold) return null;
  return { value: z, severity: Math.abs(z) >= 2 * options.zThreshold ? "critical" : "warning" };
}
