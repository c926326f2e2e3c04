/**
 * Reads the committed dashboards and pulls out every query Grafana would run — panel targets,
 * annotation queries and query variables — with the Grafana macros and template variables
 * substituted the way Grafana and the ClickHouse plugin do, so the tests can run them on real
 * servers.
 * @module
 */

/** Where the provisioned dashboards are. */
export const DASHBOARD_DIR = new URL("../../monitoring/grafana/dashboards/", import.meta.url);

/** One query of one dashboard, with where it came from for failure messages. */
export interface DashboardQuery {
  readonly dashboard: string;
  readonly where: string;
  readonly datasource: "prometheus" | "clickhouse";
  readonly text: string;
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** Every dashboard JSON in the provisioning folder, by file name. */
export async function loadDashboards(): Promise<Map<string, Json>> {
  const out = new Map<string, Json>();
  const files: string[] = [];
  for await (const e of Deno.readDir(DASHBOARD_DIR)) {
    if (e.name.endsWith(".json")) files.push(e.name);
  }
  for (const f of files.sort()) {
    out.set(f, JSON.parse(await Deno.readTextFile(new URL(f, DASHBOARD_DIR))));
  }
  return out;
}

function kindOf(ds: Json): DashboardQuery["datasource"] | undefined {
  if (ds?.type === "prometheus") return "prometheus";
  if (ds?.type === "grafana-clickhouse-datasource") return "clickhouse";
  return undefined;
}

/** Every raw query (before substitution) of every dashboard. */
export function extractQueries(dashboards: Map<string, Json>): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const [file, d] of dashboards) {
    for (const p of d.panels ?? []) {
      for (const t of p.targets ?? []) {
        const kind = kindOf(t.datasource ?? p.datasource);
        const text = kind === "prometheus" ? t.expr : t.rawSql;
        if (kind && typeof text === "string") {
          out.push({
            dashboard: file,
            where: `panel "${p.title}" ${t.refId}`,
            datasource: kind,
            text,
          });
        }
      }
    }
    for (const a of d.annotations?.list ?? []) {
      const kind = kindOf(a.datasource);
      const text = a.target?.rawSql ?? a.target?.expr;
      if (kind && typeof text === "string") {
        out.push({ dashboard: file, where: `annotation "${a.name}"`, datasource: kind, text });
      }
    }
    for (const v of d.templating?.list ?? []) {
      const kind = kindOf(v.datasource);
      if (v.type !== "query" || !kind) continue;
      const raw = typeof v.query === "string" ? v.query : v.query?.query;
      // label_values(selector, label) is Grafana's, not PromQL: evaluate the selector it reads.
      const text = kind === "prometheus"
        ? String(raw).replace(/^label_values\((.+),\s*(\w+)\)$/, "count by ($2) ($1)")
        : raw;
      out.push({ dashboard: file, where: `variable "${v.name}"`, datasource: kind, text });
    }
  }
  return out;
}

/** Values for template variables; several values make a multi-value selection. */
export type VariableValues = Readonly<Record<string, readonly string[]>>;

/** The dashboard state queries are expanded for: a time range, interval and variable values. */
export interface QueryContext {
  readonly fromMs: number;
  readonly toMs: number;
  /** Grafana's `$__interval` in seconds. */
  readonly intervalSeconds: number;
  readonly variables: VariableValues;
}

/**
 * Expands a PromQL expression as Grafana's Prometheus datasource does: `$__rate_interval`,
 * `$__interval`, `$__range`, and variables (a multi-value becomes a regex alternation).
 */
export function expandPromQL(expr: string, ctx: QueryContext): string {
  const rangeS = Math.round((ctx.toMs - ctx.fromMs) / 1000);
  // Grafana's rate interval is at least four scrape intervals; one minute is what it picks for
  // the 15s scrape interval of compose and is wide enough for the test's 1s scrapes.
  const builtins: Record<string, string> = {
    __rate_interval: `${Math.max(60, 4 * ctx.intervalSeconds)}s`,
    __interval: `${ctx.intervalSeconds}s`,
    __interval_ms: `${ctx.intervalSeconds * 1000}`,
    __range: `${rangeS}s`,
    __range_s: `${rangeS}`,
  };
  return expandVariables(
    expr,
    ctx.variables,
    builtins,
    (values) => values.length === 1 ? values[0] : `(${values.join("|")})`,
  );
}

/**
 * Expands ClickHouse SQL as the grafana-clickhouse-datasource plugin does (pkg/macros/macros.go)
 * and Grafana's variable interpolation (`${v}`, `$v`, `${v:singlequote}`, `${v:csv}`). An unknown
 * `$__macro` throws, so a dashboard cannot use a macro this test does not know how to expand.
 */
export function expandClickHouseSQL(sql: string, ctx: QueryContext): string {
  const from = Math.floor(ctx.fromMs / 1000), to = Math.floor(ctx.toMs / 1000);
  let out = sql
    .replace(
      /\$__timeFilter\(([^)]+)\)/g,
      (_, c) => `${c} >= toDateTime(${from}) AND ${c} <= toDateTime(${to})`,
    )
    .replace(
      /\$__dateFilter\(([^)]+)\)/g,
      (_, c) => `${c} >= toDate(${from}) AND ${c} <= toDate(${to})`,
    )
    .replace(/\$__fromTime\b(?!_)/g, `toDateTime(${from})`)
    .replace(/\$__toTime\b(?!_)/g, `toDateTime(${to})`)
    .replace(/\$__interval_s\b/g, String(Math.max(1, ctx.intervalSeconds)));
  const unknown = out.match(/\$__\w+/);
  if (unknown) throw new Error(`Cannot expand ClickHouse macro ${unknown[0]} in: ${sql}`);
  out = expandVariables(out, ctx.variables, {}, (values) => values.join(","));
  return out;
}

function expandVariables(
  text: string,
  variables: VariableValues,
  builtins: Record<string, string>,
  joinDefault: (values: readonly string[]) => string,
): string {
  return text.replace(
    /\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g,
    (match, braced: string | undefined, format: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare!;
      if (name in builtins) return builtins[name];
      const values = variables[name];
      if (!values) throw new Error(`No value for template variable ${match} in: ${text}`);
      switch (format) {
        case undefined:
          return joinDefault(values);
        case "singlequote":
          return values.map((v) => `'${v.replaceAll("'", "\\'")}'`).join(",");
        case "doublequote":
          return values.map((v) => `"${v}"`).join(",");
        case "csv":
          return values.join(",");
        case "regex":
          return `(${values.join("|")})`;
        default:
          throw new Error(`Unsupported variable format ${match}`);
      }
    },
  );
}
