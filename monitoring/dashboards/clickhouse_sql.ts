/**
 * SQL fragments shared by the ClickHouse panels. Every query must run on ClickHouse 18.16 (the test
 * server) and on the current release (compose.yaml), which rules out the plugin's
 * `$__timeInterval` (it expands to `toStartOfInterval`, missing in 18.16) and `$__timeFilter_ms`
 * (`fromUnixTimestamp64Milli`, also missing). So time is bucketed with integer arithmetic on the
 * epoch-ms `window_start`, and `interval` is always back-quoted because 18.16 parses it as the
 * INTERVAL keyword.
 * @module
 */

/** `window_start` (epoch ms, UInt64) within the dashboard's time range; uses the sorting key. */
export const IN_RANGE =
  "window_start >= toUInt64($__fromTime) * 1000 AND window_start <= toUInt64($__toTime) * 1000";

/** `window_start` as a DateTime column named `time`, which Grafana uses as the time field. */
export const TIME = "toDateTime(intDiv(window_start, 1000)) AS time";

/** `window_start` rounded down to Grafana's interval (`$__interval_s`), as `time`. */
export const BUCKET =
  "toDateTime(intDiv(intDiv(window_start, 1000), $__interval_s) * $__interval_s) AS time";

/** The selected symbol and candle interval. */
export const SYMBOL_AND_INTERVAL = "symbol = '${symbol}' AND `interval` = '${candle_interval}'";
