/**
 * Every ClickHouse SQL of the dashboards against the tables the pipeline really creates and fills:
 * the monitoring replay runs through `startPipeline` into a per-run database of a ClickHouse
 * 18.16, and each panel, annotation and variable query must run and return rows. On an empty
 * schema (`schemaSql`, a fresh stack before any data) each must still run.
 * @module
 */
import assert from "node:assert/strict";
import { schemaSql } from "../../src/connectors/clickhouse/schema.ts";
import { probeClickHouseBinary, startClickHouse } from "../helpers/clickhouse_server.ts";
import { requireService } from "../helpers/services.ts";
import { checkDashboardSql, clickhouseExec } from "./clickhouse_sql_check.ts";
import { runDatabase, runReplayPipeline } from "./real_pipeline.ts";

Deno.test("dashboard SQL on ClickHouse 18.16 loaded by a real pipeline run", async (t) => {
  if (!(await requireService("clickhouse-server", probeClickHouseBinary))) return;
  const server = await startClickHouse();
  try {
    const database = runDatabase("dashboards");
    const run = await runReplayPipeline({ clickhouseUrl: server.url, database });
    await run.stop();

    await t.step("the replay raised the anomalies the Alerts dashboard shows", async () => {
      const body = await clickhouseExec(
        server.url,
        database,
        "SELECT DISTINCT symbol, rule, severity FROM alerts FINAL ORDER BY symbol, rule, severity " +
          "FORMAT JSONEachRow",
      );
      const alerts = body.trim().split("\n").map((l) => JSON.parse(l));
      for (const [rule, severity] of [["price_spike", "critical"], ["volume_spike", "critical"]]) {
        assert.ok(
          alerts.some((a) => a.symbol === "BTC-USD" && a.rule === rule && a.severity === severity),
          `BTC-USD ${rule} ${severity} in ${body}`,
        );
      }
      const severities = new Set(alerts.map((a) => a.severity));
      assert.deepEqual([...severities].sort(), ["critical", "info", "warning"]);
    });

    await t.step("every panel, annotation and variable query runs and returns rows", async () => {
      const report = await checkDashboardSql(server.url, { database });
      assert.deepEqual(report.problems, [], report.problems.join("\n\n"));
      assert.ok(report.queries >= 12, `only ${report.queries} ClickHouse queries found`);
    });

    await t.step("every query runs on the empty schema of src/connectors/clickhouse", async () => {
      const empty = runDatabase("dashboards_empty");
      for (const ddl of schemaSql(empty)) await clickhouseExec(server.url, "default", ddl);
      const report = await checkDashboardSql(server.url, { database: empty, requireRows: false });
      assert.deepEqual(report.problems, [], report.problems.join("\n\n"));
    });
  } finally {
    await server.stop();
  }
});
