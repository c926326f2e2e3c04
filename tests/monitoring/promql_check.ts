/**
 * Evaluates every PromQL expression of the dashboards and of monitoring/alerts.yml on a real
 * Prometheus scraping a target. The test runs it against the fake exporter; point it at a running
 * pipeline's HTTP address (`host:port` serving /metrics) to check the real export:
 *
 *     const problems = await checkPromQL("127.0.0.1:9464", { requireData: true });
 * @module
 */
import {
  expandPromQL,
  extractQueries,
  loadDashboards,
  type QueryContext,
  type VariableValues,
} from "./dashboard_queries.ts";
import { startPrometheus } from "./prometheus_server.ts";

/** Variable values the expressions are expanded with (All for the instance/topic filters). */
export const DEFAULT_PROM_VARIABLES: VariableValues = {
  instance: [".*"],
  topic: [".*"],
  symbol: ["BTC-USD"],
  candle_interval: ["1m"],
  severity: ["info", "warning", "critical"],
};

/** What the check found; empty `problems` means every expression passed. */
export interface PromQLReport {
  readonly panelExpressions: number;
  readonly ruleExpressions: number;
  readonly problems: readonly string[];
}

/**
 * Starts Prometheus scraping `target`, waits for three scrapes (so `rate` and `deriv` have
 * samples), then evaluates every expression. Each must parse and evaluate; with `requireData`,
 * each dashboard expression must also return at least one series. Alert expressions are only
 * required to evaluate, and every loaded rule must report health "ok": an alert that returns
 * data is one that fires.
 */
export async function checkPromQL(
  target: string,
  options: { requireData: boolean; variables?: VariableValues },
): Promise<PromQLReport> {
  const prometheus = await startPrometheus({ targets: [target] });
  try {
    await prometheus.waitForScrapes(3);
    const now = Date.now();
    const ctx: QueryContext = {
      fromMs: now - 5 * 60_000,
      toMs: now,
      intervalSeconds: 15,
      variables: options.variables ?? DEFAULT_PROM_VARIABLES,
    };
    const problems: string[] = [];
    const queries = extractQueries(await loadDashboards()).filter((q) =>
      q.datasource === "prometheus"
    );
    for (const q of queries) {
      let expr: string;
      try {
        expr = expandPromQL(q.text, ctx);
      } catch (err) {
        problems.push(`${q.dashboard} ${q.where}: ${(err as Error).message}`);
        continue;
      }
      const r = await prometheus.query(expr);
      if (r.status !== "success") {
        problems.push(`${q.dashboard} ${q.where}: ${r.errorType}: ${r.error}\n  ${expr}`);
      } else if (options.requireData && !hasData(r.data?.result)) {
        problems.push(`${q.dashboard} ${q.where}: no data\n  ${expr}`);
      }
    }
    // Rules are evaluated every second; wait until each has run once, then read their health.
    const rules = await waitForRuleEvaluation(prometheus);
    for (const rule of rules) {
      if (rule.health !== "ok") {
        problems.push(`rule ${rule.name}: ${rule.health} ${rule.lastError ?? ""}`);
      }
      const r = await prometheus.query(rule.query);
      if (r.status !== "success") problems.push(`rule ${rule.name}: ${r.errorType}: ${r.error}`);
    }
    return { panelExpressions: queries.length, ruleExpressions: rules.length, problems };
  } finally {
    await prometheus.stop();
  }
}

function hasData(result: unknown): boolean {
  return Array.isArray(result) ? result.length > 0 : result !== undefined && result !== null;
}

async function waitForRuleEvaluation(prometheus: Awaited<ReturnType<typeof startPrometheus>>) {
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
