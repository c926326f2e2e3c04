/**
 * Deterministic alert identity.
 * @module
 */
import type { RuleName } from "../alert.ts";

/**
 * The alert id: `symbol|interval|rule|window_start`. The same input always raises the same ids,
 * so a replay or a redelivered candle updates an alert instead of duplicating it.
 *
 * @example
 * ```ts
 * import { alertId } from "./alert_id.ts";
 * alertId("BTC-USD", "1m", "price_spike", 1700000040000); // "BTC-USD|1m|price_spike|1700000040000"
 * ```
 */
export function alertId(
  symbol: string,
  interval: string,
  rule: RuleName,
  windowStart: number,
): string {
  return `${symbol}|${interval}|${rule}|${windowStart}`;
}

/** Interval name of the tick-level rules (`feed_stale`, `source_divergence`). */
export const TICK_INTERVAL = "tick";

/** Start of the UTC minute holding `ms`: the window_start of tick-level alerts. */
export function minuteStart(ms: number): number {
  return Math.floor(ms / 60_000) * 60_000;
}
