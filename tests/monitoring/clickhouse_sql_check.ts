/**
 * Runs every ClickHouse SQL of the dashboards (panels, annotations, variables), with the plugin's
 * macros and Grafana variables substituted, on a ClickHouse server over HTTP — in the test, a
 * ClickHouse 18.16 loaded by a real pipeline run.
 * @module
 */
import {
  expandClickHouseSQL,
  extractQueries,
  loadDashboards,
  type QueryContext,
  type VariableValues,
} from "./dashboard_queries.ts";

/** Variable values for the ClickHouse queries. */
export const DEFAULT_SQL_VARIABLES: VariableValues = {
  symbol: ["BTC-USD"],
  venue: ["composite"],
  candle_interval: ["1m"],
  severity: ["info", "warning", "critical"],
};

/** What the check found; empty `problems` means every query ran (and returned rows if asked). */
export interface SqlReport {
  readonly queries: number;
  readonly problems: readonly string[];
}

/** Sends one statement to ClickHouse's HTTP interface; throws with the server's message. */
export async function clickhouseExec(url: string, database: string, sql: string): Promise<string> {
  const res = await fetch(`${url}/?database=${encodeURIComponent(database)}`, {
    method: "POST",
    body: sql,
  });
  const body = await res.text();
  if (!res.ok) throw new Error(body.trim());
  return body;
}

/**
 * Runs every dashboard SQL for the last `rangeMs` (default 6 h, the dashboards' default range);
 * with `requireRows` (the default) each must also return at least one row.
 */
export async function checkDashboardSql(
  url: string,
  options: {
    database: string;
    rangeMs?: number;
    variables?: VariableValues;
    requireRows?: boolean;
  },
): Promise<SqlReport> {
  const now = Date.now();
  const ctx: QueryContext = {
    fromMs: now - (options.rangeMs ?? 6 * 3600_000),
    toMs: now,
    intervalSeconds: 60,
    variables: options.variables ?? DEFAULT_SQL_VARIABLES,
  };
  const queries = extractQueries(await loadDashboards()).filter((q) =>
    q.datasource === "clickhouse"
  );
  const problems: string[] = [];
  for (const q of queries) {
    let sql = "";
    try {
      sql = expandClickHouseSQL(q.text, ctx);
      const body = await clickhouseExec(url, options.database, `${sql}\nFORMAT JSON`);
      const rows = (JSON.parse(body) as { rows: number }).rows;
      if (options.requireRows !== false && !(rows > 0)) {
        problems.push(`${q.dashboard} ${q.where}: no rows\n${sql}`);
      }
    } catch (err) {
      problems.push(`${q.dashboard} ${q.where}: ${(err as Error).message}\n${sql || q.text}`);
    }
  }
  return { queries: queries.length, problems };
}
