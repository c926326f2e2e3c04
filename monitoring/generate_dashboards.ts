/**
 * Writes the Grafana dashboards under monitoring/grafana/dashboards/ from their TypeScript
 * definitions in monitoring/dashboards/. Run after changing a dashboard:
 *
 *     deno run --allow-read --allow-write=monitoring/grafana/dashboards monitoring/generate_dashboards.ts
 *
 * A test (tests/monitoring/dashboards_test.ts) fails when the committed JSON is not current.
 * @module
 */
import { alertsDashboard } from "./dashboards/alerts_dashboard.ts";
import { cryptoPrices } from "./dashboards/crypto_prices.ts";
import type { Dashboard } from "./dashboards/grafana_model.ts";
import { kafkaMetrics } from "./dashboards/kafka_metrics.ts";
import { pipelineOverview } from "./dashboards/pipeline_overview.ts";

/** Where the provisioned dashboards live, relative to the repository root. */
export const DASHBOARD_DIR = "monitoring/grafana/dashboards";

/** Every dashboard, by file name. */
export function buildDashboards(): Map<string, Dashboard> {
  return new Map([
    ["pipeline_overview.json", pipelineOverview()],
    ["kafka_metrics.json", kafkaMetrics()],
    ["crypto_prices.json", cryptoPrices()],
    ["alerts.json", alertsDashboard()],
  ]);
}

/** The exact text written for a dashboard (stable key order, trailing newline). */
export function renderDashboard(dashboard: Dashboard): string {
  return JSON.stringify(dashboard, null, 2) + "\n";
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url);
  for (const [file, dashboard] of buildDashboards()) {
    const path = new URL(`${DASHBOARD_DIR}/${file}`, root);
    await Deno.writeTextFile(path, renderDashboard(dashboard));
  }
}
