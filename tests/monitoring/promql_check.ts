/**
 * Evaluates every PromQL expression of the dashboards and of monitoring/alerts.yml on a real
 * Prometheus scraping one or more targets (real pipelines, or the fake exporter):
 *
 *     const report = await checkPromQL(["127.0.0.1:9464"]);
 *     report.results.filter((r) => r.outcome !== "data"); // what returned nothing
 * @module
 */
import {
  type DashboardQuery,
  expandPromQL,
  extractQueries,
  loadDashboards,
  type QueryContext,
  type VariableValues,
} from "./dashboard_queries.ts";
import { type PrometheusServer, type RuleState, startPrometheus } from "./prometheus_server.ts";

/** Variable values the expressions are expanded with (All for the instance/topic filters). */
export const DEFAULT_PROM_VARIABLES: VariableValues = {
  instance: [".*"],
  topic: [".*"],
  symbol: ["BTC-USD"],
  candle_interval: ["1m"],
  severity: ["info", "warning", "critical"],
};

/**
 * What one expression gave: `data` (at least one series with a number that is not NaN), `nan`
 * (series, but every value NaN — e.g. a quantile of a histogram that did not move), `empty`, or
 * `error` (did not parse or evaluate).
 */
export type Outcome = "data" | "nan" | "empty" | "error";

/** One dashboard expression and its outcome. */
export interface ExpressionResult {
  /** `<file> panel "<title>" <refId>` or `<file> variable "<name>"`. */
  readonly key: string;
  readonly query: DashboardQuery;
  readonly expr: string;
  readonly outcome: Outcome;
  readonly error?: string;
}

/** Everything one Prometheus run found. */
export interface PromQLReport {
  readonly results: readonly ExpressionResult[];
  readonly rules: readonly RuleState[];
  /** Rules whose evaluation failed (health not ok), or whose expression does not evaluate. */
  readonly ruleProblems: readonly string[];
}

/** The key a dashboard query is listed under in exception lists and failure messages. */
export function queryKey(q: DashboardQuery): string {
  return `${q.dashboard} ${q.where}`;
}

/**
 * Starts Prometheus scraping `targets`, waits for three successful scrapes of each (so `rate`
 * and `deriv` have samples), then evaluates every dashboard expression and reads every alert
 * rule's health once each rule has been evaluated.
 */
export async function checkPromQL(
  targets: readonly string[],
  options: { variables?: VariableValues } = {},
): Promise<PromQLReport> {
  const prometheus = await startPrometheus({ targets });
  try {
    await prometheus.waitForScrapes(3);
    return await evaluateAll(prometheus, options.variables ?? DEFAULT_PROM_VARIABLES);
  } finally {
    await prometheus.stop();
  }
}

async function evaluateAll(
  prometheus: PrometheusServer,
  variables: VariableValues,
): Promise<PromQLReport> {
  const now = Date.now();
  const ctx: QueryContext = { fromMs: now - 5 * 60_000, toMs: now, intervalSeconds: 15, variables };
  const results: ExpressionResult[] = [];
  const queries = extractQueries(await loadDashboards()).filter((q) =>
    q.datasource === "prometheus"
  );
  for (const q of queries) {
    const key = queryKey(q);
    let expr = q.text;
    try {
      expr = expandPromQL(q.text, ctx);
    } catch (err) {
      results.push({ key, query: q, expr, outcome: "error", error: (err as Error).message });
      continue;
    }
    const r = await prometheus.query(expr);
    if (r.status !== "success") {
      results.push({ key, query: q, expr, outcome: "error", error: `${r.errorType}: ${r.error}` });
    } else {
      results.push({ key, query: q, expr, outcome: outcomeOf(r.data?.result) });
    }
  }
  // Rules are evaluated every second; wait until each has run once, then read their health.
  const rules = await waitForRuleEvaluation(prometheus);
  const ruleProblems: string[] = [];
  for (const rule of rules) {
    if (rule.health !== "ok") {
      ruleProblems.push(`rule ${rule.name}: ${rule.health} ${rule.lastError ?? ""}`);
    }
    const r = await prometheus.query(rule.query);
    if (r.status !== "success") ruleProblems.push(`rule ${rule.name}: ${r.errorType}: ${r.error}`);
  }
  return { results, rules, ruleProblems };
}

/** Classifies an instant-query result. */
export function outcomeOf(result: unknown): Outcome {
  if (!Array.isArray(result)) {
    // A scalar or string result: [time, "value"].
    return result === undefined || result === null ? "empty" : "data";
  }
  if (result.length === 0) return "empty";
  const values = result.map((s) => (s as { value?: [number, string] }).value?.[1]);
  return values.some((v) => v !== undefined && v !== "NaN") ? "data" : "nan";
}

/** One line per result whose outcome is not `data`, for failure messages. */
export function describe(results: readonly ExpressionResult[]): string {
  return results.map((r) => `${r.key}: ${r.outcome}${r.error ? ` (${r.error})` : ""}\n  ${r.expr}`)
    .join("\n");
}

async function waitForRuleEvaluation(prometheus: PrometheusServer): Promise<RuleState[]> {
  const deadline = performance.now() + 15_000;
  while (true) {
    const rules = await prometheus.rules();
    const pending = rules.filter((r) => r.lastEvaluation.startsWith("0001-"));
    if (rules.length > 0 && pending.length === 0) return rules;
    if (performance.now() > deadline) {
      throw new Error(
        `rules not evaluated in time: ${pending.map((r) => r.name).join(", ") || "none loaded"}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Labels every scraped series carries besides its own (from the scrape config). */
export const TARGET_LABELS: readonly string[] = ["job", "instance", "service"];

/**
 * What `expr` asks of the metrics that is not there: a metric name missing from `families`
 * (name → label names, without `le`), a selector matching on a label the metric does not have,
 * or a `by`/`without` label that none of the expression's metrics has. Target labels
 * ({@linkcode TARGET_LABELS}) belong to every metric; `le` to histogram buckets. A
 * `label_values(metric, label)` variable query counts as a selector on `label`. Written for the
 * plain expressions of these dashboards (no label_replace or joins that create labels).
 */
export function labelProblems(
  expr: string,
  families: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  const problems: string[] = [];
  const used = new Set<string>(TARGET_LABELS);
  const familyOf = (name: string) => {
    if (name === "up") return { family: name, labels: new Set(TARGET_LABELS), bucket: false };
    const base = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
    const labels = families.get(base);
    return labels
      ? { family: base, labels, bucket: base !== name && name.endsWith("_bucket") }
      : null;
  };
  const check = (name: string, selected: readonly string[]) => {
    const f = familyOf(name);
    if (!f) {
      problems.push(`metric ${name} is not exported`);
      return;
    }
    f.labels.forEach((l) => used.add(l));
    if (f.bucket) used.add("le");
    for (const label of selected) {
      if (!f.labels.has(label) && !TARGET_LABELS.includes(label) && !(f.bucket && label === "le")) {
        problems.push(`${f.family} has no label "${label}"`);
      }
    }
  };
  const variable = expr.match(/^\s*label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*(\w+)\s*\)\s*$/);
  if (variable) {
    check(variable[1], [variable[2]]);
    return problems;
  }
  // Metric names: identifiers not followed by "(" (functions) and not keywords or label names
  // inside braces / by-clauses (those are removed first).
  const withoutGroups = expr.replace(/\b(by|without)\s*\(([^)]*)\)/g, " ");
  for (const m of withoutGroups.matchAll(/\b([a-zA-Z_:][\w:]*)\s*(\{([^}]*)\})?/g)) {
    const [whole, name, , matchers] = m;
    const after = withoutGroups.slice((m.index ?? 0) + whole.length);
    if (/^\s*\(/.test(after) && matchers === undefined) continue; // a function call
    if (!/^(pipeline_\w+|up)$/.test(name)) continue; // keywords, durations, and/or/unless…
    const selected = [...(matchers ?? "").matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)/g)].map((x) =>
      x[1]
    );
    check(name, selected);
  }
  for (const g of expr.matchAll(/\b(by|without)\s*\(([^)]*)\)/g)) {
    for (const label of g[2].split(",").map((s) => s.trim()).filter(Boolean)) {
      if (!used.has(label)) problems.push(`${g[1]} (${label}): no metric of the expression has it`);
    }
  }
  return problems;
}
