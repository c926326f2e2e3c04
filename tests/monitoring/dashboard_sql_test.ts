import assert from "node:assert/strict";
import { probeClickHouseBinary, startClickHouse } from "../helpers/clickhouse_server.ts";
import { requireService } from "../helpers/services.ts";
import { CLICKHOUSE_DDL } from "./clickhouse_schema_copy.ts";
import { sampleRows } from "./clickhouse_sample_rows.ts";
import { checkDashboardSql, clickhouseExec } from "./clickhouse_sql_check.ts";

Deno.test("every dashboard ClickHouse SQL runs on ClickHouse 18.16 and returns rows", async () => {
  if (!(await requireService("clickhouse-server", probeClickHouseBinary))) return;
  const server = await startClickHouse();
  try {
    const db = "monitoring_test";
    await clickhouseExec(server.url, "default", `CREATE DATABASE ${db}`);
    for (const ddl of CLICKHOUSE_DDL) await clickhouseExec(server.url, db, ddl);
    const rows = sampleRows(Date.now());
    for (const [table, records] of Object.entries(rows)) {
      const body = records.map((r: object) => JSON.stringify(r)).join("\n");
      await clickhouseExec(server.url, db, `INSERT INTO ${table} FORMAT JSONEachRow\n${body}`);
    }
    const report = await checkDashboardSql(server.url, { database: db });
    assert.deepEqual(report.problems, [], report.problems.join("\n\n"));
    assert.ok(report.queries >= 12, `only ${report.queries} ClickHouse queries found`);
  } finally {
    await server.stop();
  }
});
