/**
 * Rule `band_breakout`: the close is outside the Bollinger bands.
 * @module
 */
import type { IndicatorRow } from "../indicator_row.ts";
import type { Finding } from "./price_spike.ts";

/**
 * The crossed band when the row's close is above `bb_upper` or below `bb_lower` (value = close,
 * threshold = that band); null inside the bands or while they warm up. Severity `info`: with
 * 2σ bands a close outside happens routinely, so it is a signal, not an incident.
 *
 * @example
 * ```ts
 * import { bandBreakout } from "./band_breakout.ts";
 * bandBreakout({ close: 110, bb_upper: 105, bb_lower: 95 }); // { value: 110, threshold: 105, severity: "info" }
 * ```
 */
export function bandBreakout(
  row: Pick<IndicatorRow, "close" | "bb_upper" | "bb_lower">,
): (Finding & { threshold: number }) | null {
  if (row.bb_upper === null || row.bb_lower === null) return null;
  if (row.close > row.bb_upper) {
    return { value: row.close, threshold: row.bb_upper, severity: "info" };
  }
  if (row.close < row.bb_lower) {
    return { value: row.close, threshold: row.bb_lower, severity: "info" };
  }
  return null;
}
