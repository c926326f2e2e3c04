import assert from "node:assert/strict";
import { buildDashboards, renderDashboard } from "../../monitoring/generate_dashboards.ts";
import { extractQueries, loadDashboards } from "./dashboard_queries.ts";
import { readProvisionedDatasources, validateDashboard } from "./dashboard_schema.ts";

const provisioning = new URL("../../monitoring/grafana/provisioning/", import.meta.url);

async function datasources() {
  return readProvisionedDatasources(
    await Deno.readTextFile(new URL("datasources/datasources.yaml", provisioning)),
  );
}

Deno.test("the provisioning declares Prometheus, ClickHouse (official plugin) and PostgreSQL", async () => {
  const ds = await datasources();
  assert.deepEqual(Object.fromEntries(ds), {
    prometheus: "prometheus",
    clickhouse: "grafana-clickhouse-datasource",
    postgres: "grafana-postgresql-datasource",
  });
  const providers = await Deno.readTextFile(new URL("dashboards/dashboards.yaml", provisioning));
  assert.match(providers, /^\s+path: \/var\/lib\/grafana\/dashboards$/m);
});

Deno.test("every dashboard validates and uses only provisioned datasources", async () => {
  const ds = await datasources();
  const dashboards = await loadDashboards();
  assert.deepEqual(
    [...dashboards.values()].map((d) => d.title).sort(),
    ["Alerts Dashboard", "Crypto Prices", "Kafka Metrics", "Pipeline Overview"],
  );
  const problems = [...dashboards].flatMap(([f, d]) =>
    validateDashboard(d, ds).map((e) => `${f} ${e}`)
  );
  assert.deepEqual(problems, []);
  const uids = [...dashboards.values()].map((d) => d.uid);
  assert.equal(new Set(uids).size, uids.length, "dashboard uids must be unique");
});

Deno.test("the validator rejects what Grafana would not load", async () => {
  const ds = await datasources();
  const [good] = (await loadDashboards()).values();
  const bad = structuredClone(good);
  delete bad.uid;
  bad.panels[0].datasource = { type: "prometheus", uid: "nope" };
  bad.panels[1].gridPos = { ...bad.panels[0].gridPos };
  bad.panels[2].targets = [];
  bad.extra = 1;
  const errors = validateDashboard(bad, ds);
  for (
    const expected of [
      /^uid:/,
      /nope is not a provisioned/,
      /overlaps/,
      /targets required/,
      /unknown dashboard field/,
    ]
  ) {
    assert.ok(
      errors.some((e) => expected.test(e)),
      `expected ${expected} in:\n${errors.join("\n")}`,
    );
  }
});

Deno.test("Crypto Prices has a candlestick from ClickHouse with moving averages, volume and variables", async () => {
  const d = (await loadDashboards()).get("crypto_prices.json");
  const candle = d.panels.find((p: { type: string }) => p.type === "candlestick");
  assert.ok(candle, "no candlestick panel");
  assert.equal(candle.datasource.uid, "clickhouse");
  assert.equal(candle.options.mode, "candles+volume");
  assert.equal(candle.options.includeAllFields, true);
  for (const column of ["sma", "ema_fast", "ema_slow", "volume"]) {
    assert.match(candle.targets[0].rawSql, new RegExp(`\\b${column}\\b`));
  }
  assert.deepEqual(d.templating.list.map((v: { name: string }) => v.name), [
    "symbol",
    "venue",
    "candle_interval",
  ]);
  // Every candle query picks one venue (a feed's candles, or the composite): never a mix.
  for (const q of extractQueries(new Map([["crypto_prices.json", d]]))) {
    if (/FROM candles FINAL/.test(q.text)) assert.match(q.text, /venue = '\$\{venue\}'/, q.text);
  }
});

Deno.test("Alerts Dashboard shows the alerts table, rates and anomalies over price", async () => {
  const d = (await loadDashboards()).get("alerts.json");
  const queries = extractQueries(new Map([["alerts.json", d]]));
  assert.ok(
    queries.some((q) =>
      q.datasource === "clickhouse" && /FROM alerts/.test(q.text) && /LIMIT 200/.test(q.text)
    ),
  );
  assert.ok(
    queries.some((q) =>
      q.datasource === "prometheus" && /rate\(pipeline_alerts_total/.test(q.text)
    ),
  );
  const overPrice = d.panels.find((p: { title: string }) => p.title.startsWith("Anomalies over"));
  assert.equal(overPrice?.targets.length, 2, "price and anomaly series");
});

Deno.test("the committed dashboard JSON equals the generator's output", async () => {
  const dir = new URL("../../monitoring/grafana/dashboards/", import.meta.url);
  const stale: string[] = [];
  const built = buildDashboards();
  for (const [file, dashboard] of built) {
    const committed = await Deno.readTextFile(new URL(file, dir)).catch(() => "");
    if (committed !== renderDashboard(dashboard)) stale.push(file);
  }
  const onDisk = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".json"));
  const orphans = onDisk.filter((n) => !built.has(n));
  assert.deepEqual(
    { stale, orphans },
    { stale: [], orphans: [] },
    "run: deno run --allow-read --allow-write=monitoring/grafana/dashboards monitoring/generate_dashboards.ts",
  );
});

Deno.test("every JOIN subquery of the ClickHouse SQL has an alias (current ClickHouse requires one)", async () => {
  // 18.16 (the test server) accepts `JOIN (SELECT …) USING …`; the analyzer of current releases
  // (compose.yaml) rejects it with "no alias for subquery". Checked here because the test
  // ClickHouse cannot catch it.
  const unaliased: string[] = [];
  for (const q of extractQueries(await loadDashboards())) {
    if (q.datasource !== "clickhouse") continue;
    for (const m of q.text.matchAll(/\bJOIN\s*\(/gi)) {
      let depth = 0, i = m.index! + m[0].length - 1;
      for (; i < q.text.length; i++) {
        if (q.text[i] === "(") depth++;
        else if (q.text[i] === ")" && --depth === 0) break;
      }
      if (!/^\s+AS\s+\w+/i.test(q.text.slice(i + 1))) unaliased.push(`${q.dashboard} ${q.where}`);
    }
  }
  assert.deepEqual(unaliased, []);
});
