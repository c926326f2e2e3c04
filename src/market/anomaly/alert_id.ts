/**
 * Deterministic alert identity.
 * @module
 */
import type { RuleName } from "../alert.ts";
import { COMPOSITE_VENUE } from "../candle.ts";

/**
 * The alert id: `symbol|interval|rule|window_start` for the composite venue, as before alerts
 * had a venue, so databases written then keep their ids and a replay de-duplicates against them;
 * `venue/symbol|interval|rule|window_start` for any other venue. Alerts are raised only for the
 * venues `--analytics-venue` names (letters, digits, `_.-`: src/config/value_parsers.ts) and a
 * symbol is normalised to `BASE-QUOTE` (src/market/symbol.ts), so neither holds a `/` or `|` and
 * two keys never give one id. The same input always raises the same ids, so a replay or a redelivered
 * candle updates an alert instead of duplicating it.
 *
 * @example
 * ```ts
 * import { alertId } from "./alert_id.ts";
 * alertId("composite", "BTC-USD", "1m", "price_spike", 1700000040000); // "BTC-USD|1m|price_spike|1700000040000"
 * alertId("kraken", "BTC-USD", "1m", "price_spike", 1700000040000); // "kraken/BTC-USD|1m|price_spike|1700000040000"
 * ```
 */
export function alertId(
  venue: string,
  symbol: string,
  interval: string,
  rule: RuleName,
  windowStart: number,
): string {
  const key = `${symbol}|${interval}|${rule}|${windowStart}`;
  return venue === COMPOSITE_VENUE ? key : `${venue}/${key}`;
}

/** Interval name of the tick-level rules (`feed_stale`, `source_divergence`). */
export const TICK_INTERVAL = "tick";

/** Start of the UTC minute holding `ms`: the window_start of tick-level alerts. */
export function minuteStart(ms: number): number {
  return Math.floor(ms / 60_000) * 60_000;
}
