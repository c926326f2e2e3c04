/**
 * SQL fragments shared by the ClickHouse panels, written against the pipeline's real tables
 * (src/connectors/clickhouse/schema.ts: `window_start` is a `DateTime('UTC')` of whole seconds).
 * Every query must run on ClickHouse 18.16 (the test server) and on the current release
 * (compose.yaml), which rules out the plugin's `$__timeInterval` (it expands to
 * `toStartOfInterval`, missing in 18.16) and the `_ms` macros (`fromUnixTimestamp64Milli`, also
 * missing). So time is bucketed with integer arithmetic on the epoch seconds, and `interval` is
 * always back-quoted because 18.16 parses it as the INTERVAL keyword.
 * @module
 */

/**
 * `window_start` within the dashboard's time range; the plugin expands it to
 * `window_start >= toDateTime(<from>) AND window_start <= toDateTime(<to>)`, which uses the
 * sorting key and the monthly partitions.
 */
export const IN_RANGE = "$__timeFilter(window_start)";

/**
 * `window_start` as the column Grafana uses as the time field. The alias must not be the name of
 * a column: ClickHouse resolves WHERE against SELECT aliases.
 */
export const TIME = "window_start AS time";

/** `window_start` rounded down to Grafana's interval (`$__interval_s`), as `time`. */
export const BUCKET =
  "toDateTime(intDiv(toUInt32(window_start), $__interval_s) * $__interval_s, 'UTC') AS time";

/** The selected symbol and candle interval. */
export const SYMBOL_AND_INTERVAL = "symbol = '${symbol}' AND `interval` = '${candle_interval}'";

/**
 * The selected venue: a feed, or `composite` (the default). Candles exist for every venue;
 * indicators and alerts only for the venues `--analytics-venue` names (the composite by default),
 * and the tick rules' alerts are filed under the composite.
 */
export const VENUE = "venue = '${venue}'";

/** The venues with candles of the selected symbol, the composite first. */
export const VENUES_SQL =
  "SELECT DISTINCT venue FROM candles WHERE symbol = '${symbol}' ORDER BY venue = 'composite' DESC, venue";
