/**
 * TEMPORARY COPY — replace with the storage engineer's schema from src/connectors/clickhouse/
 * once it exists, so the dashboards are tested against the tables the pipeline really creates.
 *
 * The `candles`, `indicators` and `alerts` tables with exactly the columns of
 * src/market/candle.ts, indicator_row.ts and alert.ts (window_start in epoch ms, UInt64). Written
 * for ClickHouse 18.16 and current: `interval` must be back-quoted (18.16 reads it as a keyword).
 * @module
 */

/** DDL statements, one per table, in creation order. */
export const CLICKHOUSE_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS candles (
    symbol String, \`interval\` String, window_start UInt64,
    open Float64, high Float64, low Float64, close Float64, volume Float64,
    vwap Nullable(Float64), trades UInt32, first_ts UInt64, last_ts UInt64, version UInt32
  ) ENGINE = ReplacingMergeTree(version) ORDER BY (symbol, \`interval\`, window_start)`,
  `CREATE TABLE IF NOT EXISTS indicators (
    symbol String, \`interval\` String, window_start UInt64, close Float64,
    sma Nullable(Float64), ema_fast Nullable(Float64), ema_slow Nullable(Float64),
    rsi Nullable(Float64), bb_upper Nullable(Float64), bb_middle Nullable(Float64),
    bb_lower Nullable(Float64), volatility Nullable(Float64), version UInt32
  ) ENGINE = ReplacingMergeTree(version) ORDER BY (symbol, \`interval\`, window_start)`,
  `CREATE TABLE IF NOT EXISTS alerts (
    id String, symbol String, \`interval\` String, rule String, severity String,
    value Float64, threshold Float64, window_start UInt64, message String
  ) ENGINE = ReplacingMergeTree() ORDER BY (symbol, rule, \`interval\`, window_start)`,
];
