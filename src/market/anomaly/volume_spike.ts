/**
 * Rule `volume_spike`: a candle's volume against the median of the previous ones.
 * @module
 */
import type { Finding } from "./price_spike.ts";

/** Options of {@linkcode volumeSpike}. */
export interface VolumeSpikeOptions {
  /** Previous candles to take the median of. Default 30. */
  lookback: number;
  /** Ratio to the median at which to alert. Default 5; critical at twice that. */
  multiple: number;
}

/**
 * value = volume / median(previous `lookback` volumes); `volumes` ends with the latest and needs
 * lookback + 1 entries. Null with too little history, a zero median (sizes unknown or no
 * trading), or a ratio below the multiple. Callers skip it when the feed has no sizes.
 *
 * @example
 * ```ts
 * import { volumeSpike } from "./volume_spike.ts";
 * volumeSpike([1, 2, 3, 30], { lookback: 3, multiple: 5 }); // { value: 15, severity: "critical" }
 * ```
 */
export function volumeSpike(
  volumes: readonly number[],
  options: VolumeSpikeOptions,
): Finding | null {
  const n = options.lookback;
  const last = volumes.length - 1;
  if (last < n || n < 1) return null;
  const median = medianOf(volumes.slice(last - n, last));
  if (!(median > 0)) return null;
  const ratio = volumes[last] / median;
  if (ratio < options.multiple) return null;
  return { value: ratio, severity: ratio >= 2 * options.multiple ? "critical" : "warning" };
}

/** The median (mean of the middle two for an even count). */
export function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}
