/**
 * The alert record raised by the anomaly rules.
 * @module
 */

/** Anomaly rule names. */
export type RuleName =
  | "price_spike"
  | "volume_spike"
  | "band_breakout"
  | "feed_stale"
  | "source_divergence"
  | "learned_anomaly";

/** Alert severities, least to most severe. */
export type Severity = "info" | "warning" | "critical";

/**
 * One alert. `id` is deterministic from (symbol, interval, rule, window_start), so a replay of the
 * same input raises the same alerts and stores de-duplicate them. Tick-level rules (`feed_stale`,
 * `source_divergence`) use interval `tick` and the start of the minute of their event time.
 */
export interface Alert {
  readonly id: string;
  readonly symbol: string;
  readonly interval: string;
  readonly rule: RuleName;
  readonly severity: Severity;
  readonly value: number;
  readonly threshold: number;
  readonly window_start: number;
  readonly message: string;
}
