/**
 * Read queries over the ClickHouse tables, shared by the HTTP API, dashboards and tests. Each
 * returns one row per window (`FINAL` collapses revisions to the highest version) and puts values
 * into SQL only through {@linkcode sqlValue}. Valid on ClickHouse 18.16 and current releases.
 * @module
 */
import type { ClickHouseClient } from "@clickhouse/client";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import { compositeFields } from "../../market/composite_fields.ts";
import { sqlIdentifier, sqlValue } from "./sql_escape.ts";

/** Which candles to read. */
export interface CandleQuery {
  /** A venue, `composite` or `legacy` (docs/storage.md). */
  readonly venue: string;
  readonly symbol: string;
  readonly interval: string;
  /** Inclusive lower bound on window_start, epoch ms. */
  readonly fromMs?: number;
  /** Exclusive upper bound on window_start, epoch ms. */
  readonly toMs?: number;
  /** At most this many, the latest first. Default 500. */
  readonly limit?: number;
}

// Aliases must not shadow column names: ClickHouse resolves WHERE against SELECT aliases.
const CANDLE_COLUMNS =
  "venue, symbol, `interval`, toUInt32(window_start) AS window_start_s, open, high, " +
  "low, close, volume, vwap, trades, first_ts, last_ts, version, instrument, constituents, " +
  "excluded";

/** SQL for the latest candles of one venue, symbol and interval, newest first, de-duplicated. */
export function latestCandlesSql(database: string, q: CandleQuery): string {
  const where = candleWhere(q);
  if (q.fromMs !== undefined) where.push(`window_start >= ${sqlValue(Math.ceil(q.fromMs / 1000))}`);
  if (q.toMs !== undefined) where.push(`window_start < ${sqlValue(Math.ceil(q.toMs / 1000))}`);
  return `SELECT ${CANDLE_COLUMNS} FROM ${sqlIdentifier(database)}.candles FINAL ` +
    `WHERE ${where.join(" AND ")} ORDER BY window_start DESC LIMIT ${sqlValue(limitOf(q.limit))}`;
}

/**
 * SQL for the same rows via `argMax(…, version)` instead of FINAL: cheaper on large unmerged
 * tables, and the form Grafana panels use.
 */
export function latestCandlesArgMaxSql(database: string, q: CandleQuery): string {
  const fields = [
    "open",
    "high",
    "low",
    "close",
    "volume",
    "vwap",
    "trades",
    "first_ts",
    "last_ts",
    "instrument",
    "constituents",
    "excluded",
  ];
  // Inner aliases differ from column names: an alias equal to a column would shadow it inside
  // the other aggregates.
  const inner = fields.map((f) => `argMax(${f}, version) AS a_${f}`).join(", ");
  const outer = fields.map((f) => `a_${f} AS ${f}`).join(", ");
  const where = candleWhere(q);
  if (q.fromMs !== undefined) where.push(`window_start >= ${sqlValue(Math.ceil(q.fromMs / 1000))}`);
  if (q.toMs !== undefined) where.push(`window_start < ${sqlValue(Math.ceil(q.toMs / 1000))}`);
  return `SELECT venue, symbol, \`interval\`, window_start_s, ${outer}, a_version AS version ` +
    `FROM (SELECT venue, symbol, \`interval\`, toUInt32(window_start) AS window_start_s, ` +
    `${inner}, max(version) AS a_version FROM ${sqlIdentifier(database)}.candles ` +
    `WHERE ${where.join(" AND ")} GROUP BY venue, symbol, \`interval\`, window_start) ` +
    `ORDER BY window_start_s DESC LIMIT ${sqlValue(limitOf(q.limit))}`;
}

/**
 * SQL for the latest alerts, optionally of one venue and of one symbol, newest first,
 * de-duplicated by id.
 */
export function latestAlertsSql(
  database: string,
  q: { venue?: string; symbol?: string; limit?: number } = {},
): string {
  const conditions = [
    ...(q.venue === undefined ? [] : [`venue = ${sqlValue(q.venue)}`]),
    ...(q.symbol === undefined ? [] : [`symbol = ${sqlValue(q.symbol)}`]),
  ];
  const where = conditions.length ? `WHERE ${conditions.join(" AND ")} ` : "";
  return "SELECT id, venue, symbol, `interval`, rule, severity, value, threshold, " +
    "toUInt32(window_start) AS window_start_s, message " +
    `FROM ${sqlIdentifier(database)}.alerts FINAL ${where}` +
    `ORDER BY window_start DESC, id LIMIT ${sqlValue(limitOf(q.limit))}`;
}

function candleWhere(q: CandleQuery): string[] {
  return [
    `venue = ${sqlValue(q.venue)}`,
    `symbol = ${sqlValue(q.symbol)}`,
    `\`interval\` = ${sqlValue(q.interval)}`,
  ];
}

function limitOf(limit: number | undefined): number {
  const n = limit ?? 500;
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`limit must be a positive integer, got ${n}`);
  }
  return n;
}

type RawRow = Record<string, unknown>;

/** Converts a row of {@linkcode latestCandlesSql} (UInt64 arrive as strings) to a Candle. */
export function rowToCandle(r: RawRow): Candle {
  return {
    venue: String(r.venue),
    symbol: String(r.symbol),
    interval: String(r.interval),
    window_start: Number(r.window_start_s) * 1000,
    open: Number(r.open),
    high: Number(r.high),
    low: Number(r.low),
    close: Number(r.close),
    volume: Number(r.volume),
    vwap: r.vwap === null ? null : Number(r.vwap),
    trades: Number(r.trades),
    first_ts: Number(r.first_ts),
    last_ts: Number(r.last_ts),
    version: Number(r.version),
    ...(r.instrument === null || r.instrument === undefined
      ? {}
      : { instrument: String(r.instrument) }),
    ...compositeFields(r.constituents as string | null, r.excluded as string | null),
  };
}

/** Converts a row of {@linkcode latestAlertsSql} to an Alert. */
export function rowToAlert(r: RawRow): Alert {
  return {
    id: String(r.id),
    venue: String(r.venue),
    symbol: String(r.symbol),
    interval: String(r.interval),
    rule: String(r.rule) as Alert["rule"],
    severity: String(r.severity) as Alert["severity"],
    value: Number(r.value),
    threshold: Number(r.threshold),
    window_start: Number(r.window_start_s) * 1000,
    message: String(r.message),
  };
}

/** Runs a query and returns its rows. */
export async function queryRows(client: ClickHouseClient, sql: string): Promise<RawRow[]> {
  const rs = await client.query({ query: sql, format: "JSONEachRow" });
  return await rs.json<RawRow>();
}

/** The latest candles (one per window, highest version), newest first. */
export async function readLatestCandles(
  client: ClickHouseClient,
  database: string,
  q: CandleQuery,
): Promise<Candle[]> {
  return (await queryRows(client, latestCandlesSql(database, q))).map(rowToCandle);
}

/** The latest alerts, newest first. */
export async function readLatestAlerts(
  client: ClickHouseClient,
  database: string,
  q: { venue?: string; symbol?: string; limit?: number } = {},
): Promise<Alert[]> {
  return (await queryRows(client, latestAlertsSql(database, q))).map(rowToAlert);
}
