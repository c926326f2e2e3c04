/**
 * The ClickHouse tables: one column list per table drives both the DDL and the RowBinary insert,
 * so they cannot drift. The DDL runs on ClickHouse 18.16 and current releases: no DateTime64 (so
 * millisecond times are UInt64 epoch ms), no TTL (retention is by dropping monthly/daily
 * partitions), and `window_start` is a `DateTime('UTC')` (whole seconds) for Grafana time filters.
 * @module
 */
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import { constituentsText, excludedText } from "../../market/composite_fields.ts";
import type { IndicatorRow } from "../../market/indicator_row.ts";
import type { Tick } from "../../market/tick.ts";
import type { Column } from "./row_binary.ts";
import { sqlIdentifier } from "./sql_escape.ts";
import { predictionOutcomesViewSql, PREDICTIONS } from "./prediction_table.ts";

/** One table: its columns and the clauses after them. */
export interface TableSpec<R> {
  readonly name: string;
  readonly columns: readonly Column<R>[];
  readonly engine: string;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * Candles, one row per venue and the composite; a revision (higher `version`) replaces the
 * earlier row of the same window. Before schema version 2 the table had no venue
 * (migrations.ts).
 */
export const CANDLES: TableSpec<Candle> = {
  name: "candles",
  columns: [
    { name: "venue", type: "String", get: (c) => c.venue },
    { name: "symbol", type: "String", get: (c) => c.symbol },
    { name: "interval", type: "String", get: (c) => c.interval },
    { name: "window_start", type: "DateTime('UTC')", get: (c) => seconds(c.window_start) },
    { name: "open", type: "Float64", get: (c) => c.open },
    { name: "high", type: "Float64", get: (c) => c.high },
    { name: "low", type: "Float64", get: (c) => c.low },
    { name: "close", type: "Float64", get: (c) => c.close },
    { name: "volume", type: "Float64", get: (c) => c.volume },
    { name: "vwap", type: "Nullable(Float64)", get: (c) => c.vwap },
    { name: "trades", type: "UInt32", get: (c) => c.trades },
    { name: "first_ts", type: "UInt64", get: (c) => c.first_ts },
    { name: "last_ts", type: "UInt64", get: (c) => c.last_ts },
    { name: "version", type: "UInt32", get: (c) => c.version },
    { name: "instrument", type: "Nullable(String)", get: (c) => c.instrument ?? null },
    { name: "constituents", type: "Nullable(String)", get: (c) => constituentsText(c) },
    { name: "excluded", type: "Nullable(String)", get: (c) => excludedText(c) },
  ],
  engine: "ReplacingMergeTree(version) PARTITION BY toYYYYMM(window_start) " +
    "ORDER BY (symbol, `interval`, venue, window_start)",
};

/**
 * Indicator values per closed candle of each analytics venue, replaced like candles by
 * `version`. Before schema version 4 the table had no venue (migrations.ts).
 */
export const INDICATORS: TableSpec<IndicatorRow> = {
  name: "indicators",
  columns: [
    { name: "venue", type: "String", get: (r) => r.venue },
    { name: "symbol", type: "String", get: (r) => r.symbol },
    { name: "interval", type: "String", get: (r) => r.interval },
    { name: "window_start", type: "DateTime('UTC')", get: (r) => seconds(r.window_start) },
    { name: "close", type: "Float64", get: (r) => r.close },
    { name: "sma", type: "Nullable(Float64)", get: (r) => r.sma },
    { name: "ema_fast", type: "Nullable(Float64)", get: (r) => r.ema_fast },
    { name: "ema_slow", type: "Nullable(Float64)", get: (r) => r.ema_slow },
    { name: "rsi", type: "Nullable(Float64)", get: (r) => r.rsi },
    { name: "bb_upper", type: "Nullable(Float64)", get: (r) => r.bb_upper },
    { name: "bb_middle", type: "Nullable(Float64)", get: (r) => r.bb_middle },
    { name: "bb_lower", type: "Nullable(Float64)", get: (r) => r.bb_lower },
    { name: "volatility", type: "Nullable(Float64)", get: (r) => r.volatility },
    { name: "version", type: "UInt32", get: (r) => r.version },
  ],
  engine: "ReplacingMergeTree(version) PARTITION BY toYYYYMM(window_start) " +
    "ORDER BY (symbol, `interval`, venue, window_start)",
};

/**
 * Alerts. The id is deterministic from (venue, symbol, interval, rule, window_start), so
 * ordering by (symbol, venue, window_start, id) de-duplicates by id and serves "alerts of a
 * symbol over time". Before schema version 4 the table had no venue (migrations.ts).
 */
export const ALERTS: TableSpec<Alert> = {
  name: "alerts",
  columns: [
    { name: "id", type: "String", get: (a) => a.id },
    { name: "venue", type: "String", get: (a) => a.venue },
    { name: "symbol", type: "String", get: (a) => a.symbol },
    { name: "interval", type: "String", get: (a) => a.interval },
    { name: "rule", type: "String", get: (a) => a.rule },
    { name: "severity", type: "String", get: (a) => a.severity },
    { name: "value", type: "Float64", get: (a) => a.value },
    { name: "threshold", type: "Float64", get: (a) => a.threshold },
    { name: "window_start", type: "DateTime('UTC')", get: (a) => seconds(a.window_start) },
    { name: "message", type: "String", get: (a) => a.message },
  ],
  engine: "ReplacingMergeTree() PARTITION BY toYYYYMM(window_start) " +
    "ORDER BY (symbol, venue, window_start, id)",
};

/**
 * Raw ticks (optional). ReplacingMergeTree rather than plain MergeTree so a replayed tick
 * collapses into one row; daily partitions make retention a `DROP PARTITION`.
 */
export const TICKS: TableSpec<Tick> = {
  name: "ticks",
  columns: [
    { name: "source", type: "String", get: (t) => t.source },
    { name: "symbol", type: "String", get: (t) => t.symbol },
    { name: "id", type: "String", get: (t) => t.id },
    { name: "price", type: "Float64", get: (t) => t.price },
    { name: "size", type: "Nullable(Float64)", get: (t) => t.size },
    { name: "ts", type: "DateTime('UTC')", get: (t) => seconds(t.ts) },
    { name: "ts_ms", type: "UInt64", get: (t) => t.ts },
    { name: "side", type: "Nullable(String)", get: (t) => t.side ?? null },
  ],
  engine: "ReplacingMergeTree() PARTITION BY toYYYYMMDD(ts) ORDER BY (symbol, ts_ms, source, id)",
};

/** `CREATE TABLE IF NOT EXISTS` for `spec` in `database`. */
export function createTableSql<R>(database: string, spec: TableSpec<R>): string {
  const cols = spec.columns.map((c) => `${sqlIdentifier(c.name)} ${c.type}`).join(", ");
  return `CREATE TABLE IF NOT EXISTS ${sqlIdentifier(database)}.${sqlIdentifier(spec.name)} ` +
    `(${cols}) ENGINE = ${spec.engine}`;
}

/** The `INSERT … FORMAT RowBinary` statement for `spec` in `database`. */
export function insertSql<R>(database: string, spec: TableSpec<R>): string {
  const cols = spec.columns.map((c) => sqlIdentifier(c.name)).join(", ");
  return `INSERT INTO ${sqlIdentifier(database)}.${
    sqlIdentifier(spec.name)
  } (${cols}) FORMAT RowBinary`;
}

/**
 * Every DDL statement of the current schema in creation order: the database, the tables (ticks
 * only when asked), then the `prediction_outcomes` view over them. `ClickHouseStore.migrate()`
 * runs these after upgrading older tables (migrations.ts); dashboard tests can run them alone.
 */
export function schemaSql(database: string, options: { ticks?: boolean } = {}): string[] {
  const tables = [CANDLES, INDICATORS, ALERTS, PREDICTIONS] as TableSpec<never>[];
  if (options.ticks) tables.push(TICKS as TableSpec<never>);
  return [
    `CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(database)}`,
    ...tables.map((t) => createTableSql(database, t)),
    predictionOutcomesViewSql(database),
  ];
}
