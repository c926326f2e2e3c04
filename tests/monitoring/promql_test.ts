/**
 * Every dashboard and alert PromQL against the fake exporter, which serves every metric of the
 * catalogue with every label the dashboards filter on: each expression must parse, evaluate and
 * return data. This covers the panels no real run can feed (the actor drops series);
 * tests/monitoring/promql_real_pipeline_test.ts checks the rest against real pipelines.
 * @module
 */
import assert from "node:assert/strict";
import { readCatalogue, startFakeExporter } from "./fake_exporter.ts";
import { checkPromQL, describe } from "./promql_check.ts";
import { requireTool } from "./tools.ts";

Deno.test("every dashboard and alert PromQL evaluates on Prometheus; with every metric exported, every panel returns data", async () => {
  if (!(await requireTool("prometheus"))) return;
  const exporter = startFakeExporter(await readCatalogue());
  try {
    const report = await checkPromQL([exporter.target]);
    const missing = report.results.filter((r) => r.outcome !== "data");
    assert.deepEqual(missing, [], describe(missing));
    assert.deepEqual(report.ruleProblems, [], report.ruleProblems.join("\n"));
    assert.ok(report.results.length >= 40, `only ${report.results.length} panel expressions`);
    assert.ok(report.rules.length >= 10, `only ${report.rules.length} rules loaded`);
  } finally {
    await exporter.stop();
  }
});
