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
 * One alert. `id` is deterministic from (venue, symbol, interval, rule, window_start)
 * (anomaly/alert_id.ts), so a replay of the same input raises the same alerts and stores
 * de-duplicate them. Tick-level rules (`feed_stale`, `source_divergence`) compare the venues of a
 * symbol, so they are filed under the composite venue, with interval `tick` and the start of the
 * minute of their event time.
 */
export interface Alert {
  readonly id: string;
  /**
   * The venue of the candles the rule ran on (`composite` by default, or a feed named in
   * `--analytics-venue`); `composite` for the tick-level rules, which span the venues.
   */
  readonly venue: string;
  readonly symbol: string;
  readonly interval: string;
  readonly rule: RuleName;
  readonly severity: Severity;
  readonly value: number;
  readonly threshold: number;
  readonly window_start: number;
  readonly message: string;
}
