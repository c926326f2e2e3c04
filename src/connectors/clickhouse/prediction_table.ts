/**
 * The ClickHouse `predictions` table (schema version 3), its read query and the
 * `prediction_outcomes` view (schema version 5). Like candles, a higher `version` replaces the row
 * of the same (venue, symbol, interval, target window, model).
 * @module
 */
import type { ClickHouseClient } from "@clickhouse/client";
import type { PredictionRow } from "../../market/forecast/prediction_row.ts";
import type { TableSpec } from "./schema.ts";
import { queryRows } from "./queries.ts";
import { sqlIdentifier, sqlValue } from "./sql_escape.ts";

const seconds = (ms: number) => Math.floor(ms / 1000);

/** One row per model and target window; `window_start` is the candle it was made after. */
export const PREDICTIONS: TableSpec<PredictionRow> = {
  name: "predictions",
  columns: [
    { name: "venue", type: "String", get: (r) => r.venue },
    { name: "symbol", type: "String", get: (r) => r.symbol },
    { name: "interval", type: "String", get: (r) => r.interval },
    {
      name: "target_window_start",
      type: "DateTime('UTC')",
      get: (r) => seconds(r.target_window_start),
    },
    { name: "model", type: "String", get: (r) => r.model },
    { name: "window_start", type: "DateTime('UTC')", get: (r) => seconds(r.window_start) },
    { name: "predicted_return", type: "Nullable(Float64)", get: (r) => r.predicted_return },
    { name: "predicted_vol", type: "Nullable(Float64)", get: (r) => r.predicted_vol },
    { name: "prob_up", type: "Nullable(Float64)", get: (r) => r.prob_up },
    { name: "fallback", type: "Nullable(String)", get: (r) => r.fallback },
    { name: "version", type: "UInt32", get: (r) => r.version },
  ],
  engine: "ReplacingMergeTree(version) PARTITION BY toYYYYMM(target_window_start) " +
    "ORDER BY (symbol, `interval`, venue, target_window_start, model)",
};

/**
 * `CREATE VIEW` of `prediction_outcomes`: each prediction (the highest version) with the close of
 * the candle it was made after (`base_close`) and of its target window (`target_close`), null
 * while that candle is missing (the target window has not closed) — the columns of SQLite's view
 * of the same name, with ClickHouse's types (times as `DateTime('UTC')`, as in the tables).
 * 18.16's JOIN matches columns by equal names (USING), so each side is a subquery naming its
 * columns for the join; `toNullable` makes an unmatched close NULL rather than 0, with or without
 * `join_use_nulls`. The candles are joined in memory (the right side of a ClickHouse join is
 * read whole): for one series over a narrow range, `ClickHouseReadApi.predictions` reads less.
 */
export function predictionOutcomesViewSql(database: string): string {
  const db = sqlIdentifier(database);
  // The candles' closes keyed for one side of the join (`time`: window_start, or it renamed).
  const closes = (time: string, close: string) =>
    `SELECT venue, symbol, \`interval\`, ${time}, toNullable(close) AS ${close} ` +
    `FROM ${db}.candles FINAL`;
  const fields = "venue, symbol, `interval`, target_window_start, model, window_start, " +
    "predicted_return, predicted_vol, prob_up, fallback, version";
  // Every joined subquery has an alias: current releases' old analyzer requires one
  // (joined_subquery_requires_alias).
  return `CREATE VIEW IF NOT EXISTS ${db}.prediction_outcomes AS ` +
    `SELECT ${fields}, base_close, target_close FROM (` +
    `SELECT ${fields}, base_close FROM (SELECT ${fields} FROM ${db}.predictions FINAL) AS p ` +
    `ANY LEFT JOIN (${closes("window_start", "base_close")}) AS b ` +
    "USING (venue, symbol, `interval`, window_start)) AS pb " +
    `ANY LEFT JOIN (${closes("window_start AS target_window_start", "target_close")}) AS t ` +
    "USING (venue, symbol, `interval`, target_window_start)";
}

/** Which predictions to read: the latest `limit` rows of one series. */
export interface PredictionQuery {
  readonly venue: string;
  readonly symbol: string;
  readonly interval: string;
  readonly limit: number;
}

/** SQL for the latest predictions of one series, newest first, de-duplicated by FINAL. */
export function latestPredictionsSql(database: string, q: PredictionQuery): string {
  return "SELECT venue, symbol, `interval`, toUInt32(target_window_start) AS target_s, model, " +
    "toUInt32(window_start) AS base_s, predicted_return, predicted_vol, prob_up, fallback, " +
    `version FROM ${sqlIdentifier(database)}.predictions FINAL ` +
    `WHERE venue = ${sqlValue(q.venue)} AND symbol = ${sqlValue(q.symbol)} ` +
    `AND \`interval\` = ${sqlValue(q.interval)} ` +
    `ORDER BY target_window_start DESC, model DESC LIMIT ${sqlValue(q.limit)}`;
}

const num = (v: unknown) => v === null || v === undefined ? null : Number(v);

/** The latest predictions of one series, newest first. */
export async function readLatestPredictions(
  client: ClickHouseClient,
  database: string,
  q: PredictionQuery,
): Promise<PredictionRow[]> {
  const rows = await queryRows(client, latestPredictionsSql(database, q));
  return rows.map((r) => ({
    venue: String(r.venue),
    symbol: String(r.symbol),
    interval: String(r.interval),
    window_start: Number(r.base_s) * 1000,
    target_window_start: Number(r.target_s) * 1000,
    model: String(r.model) as PredictionRow["model"],
    predicted_return: num(r.predicted_return),
    predicted_vol: num(r.predicted_vol),
    prob_up: num(r.prob_up),
    fallback: r.fallback === null ? null : String(r.fallback) as PredictionRow["fallback"],
    version: Number(r.version),
  }));
}
