/**
 * The dashboards and alert rules against real pipelines: a real Prometheus scrapes the /metrics of
 * four in-process pipelines —
 * - the monitoring replay, drained into ClickHouse with an alert webhook that refuses every
 *   delivery (dead letters, sink errors), its HTTP server kept up;
 * - a live simulator run on the memory bus (rates, latencies and watermarks that move while
 *   Prometheus scrapes);
 * - Kafka mode (role all) on librdkafka's mock cluster, fed by the simulator (consumer lag,
 *   produce and commit latencies, a refused produce request, backpressure pauses);
 * - the live feeds against fake venues (Coinbase with a trade-id gap, Kraken dropped mid-stream
 *   and replaying trades already seen, CoinCap's REST API polled every second).
 *
 * Every panel expression must return data, except the panels listed below with the reason no
 * real run can give them data; tests/monitoring/promql_test.ts still makes each of those return
 * data against the fake exporter.
 * @module
 */
import assert from "node:assert/strict";
import { probeClickHouseBinary, startClickHouse } from "../helpers/clickhouse_server.ts";
import { librdkafkaInstalled } from "../helpers/kafka_mock.ts";
import { requireService } from "../helpers/services.ts";
import { type CatalogueMetric, readCatalogue } from "./fake_exporter.ts";
import { startKafkaPipeline, startLiveFeedPipeline } from "./kafka_and_feed_runs.ts";
import { checkPromQL, describe, type ExpressionResult, labelProblems } from "./promql_check.ts";
import {
  type RealPipeline,
  runDatabase,
  runReplayPipeline,
  startRealPipeline,
  startRefusingWebhook,
} from "./real_pipeline.ts";
import { requireTool } from "./tools.ts";

const NO_DROP_MAILBOX = "pipeline_actor_dropped_total exists only for drop_oldest/drop_newest " +
  "mailboxes, and no actor of the pipeline uses one (all block), nor can a flag make one";

const NO_OFFSET_RESET =
  "pipeline_kafka_offset_resets_total needs a committed position the log no " +
  "longer holds (retention deleted records before the group read them); the runs start on new " +
  "topics. tests/connectors/kafka/kafka_offset_reset_test.ts makes one on each client";

/**
 * Panel expressions that return no data from these runs, with the reason. The test fails when
 * one of them does return data (remove it here) or no longer exists.
 */
export const NO_DATA_FROM_REAL_RUNS: Readonly<Record<string, string>> = {
  'pipeline_overview.json panel "Actor failures, restarts and drops" C': NO_DROP_MAILBOX,
  'kafka_metrics.json panel "Offset resets (records skipped)" A': NO_OFFSET_RESET,
};

/** Catalogued metrics none of these runs exports, with the reason (the same as for the panels). */
export const NOT_EXPORTED_BY_REAL_RUNS: Readonly<Record<string, string>> = {
  pipeline_actor_dropped_total: NO_DROP_MAILBOX,
  pipeline_kafka_offset_resets_total: NO_OFFSET_RESET,
};

/** An exported metric family: its type and label names (without `le`). */
interface Family {
  type: string;
  labels: Set<string>;
}

/** The families of a /metrics text that have at least one sample. */
export function parseExposition(text: string): Map<string, Family> {
  const types = new Map<string, string>();
  const out = new Map<string, Family>();
  for (const line of text.split("\n")) {
    const t = line.match(/^# TYPE (\S+) (\S+)$/);
    if (t) {
      types.set(t[1], t[2]);
      continue;
    }
    const s = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/);
    if (!s) continue;
    let name = s[1];
    if (!types.has(name)) name = name.replace(/_(bucket|sum|count)$/, "");
    const family = out.get(name) ?? { type: types.get(name) ?? "untyped", labels: new Set() };
    for (const [, label] of (s[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) {
      if (label !== "le") family.labels.add(label);
    }
    out.set(name, family);
  }
  return out;
}

/**
 * Starts the four runs side by side; when one fails to start, the others are stopped and the
 * first failure is thrown.
 */
async function startRuns(clickhouseUrl: string, webhookUrl: string): Promise<RealPipeline[]> {
  const settled = await Promise.allSettled([
    runReplayPipeline({
      clickhouseUrl,
      database: runDatabase("promql"),
      args: [`--alert-webhook-url=${webhookUrl}`],
    }),
    // Two symbols keep the simulator's 45-minute warm-up short; live ticks follow at 3/s each.
    startRealPipeline(["--source=simulator", "--symbols=BTC-USD,ETH-USD"]),
    startKafkaPipeline(),
    startLiveFeedPipeline(),
  ]);
  const runs = settled.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) {
    for (const r of runs) await r.stop();
    throw failed.reason;
  }
  return runs;
}

/** The exported families of every run: name → label names (without `le`), merged. */
async function exportedFamilies(runs: readonly RealPipeline[]): Promise<Map<string, Family>> {
  const exported = new Map<string, Family>();
  for (const run of runs) {
    for (const [name, f] of parseExposition(await run.metrics())) {
      const seen = exported.get(name);
      if (seen) f.labels.forEach((l) => seen.labels.add(l));
      else exported.set(name, f);
    }
  }
  return exported;
}

Deno.test({
  name:
    "dashboards and alerts on Prometheus scraping real pipelines (replay, simulator, Kafka mode, live feeds): every panel returns data except the listed ones",
  // kafkajs keeps internal timers (request-queue checks, retries) for a moment after disconnect.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const ok = await requireTool("prometheus") &&
      await requireService("clickhouse-server", probeClickHouseBinary) &&
      await requireService("librdkafka (the Kafka mock cluster)", () => {
        if (!librdkafkaInstalled()) throw new Error("librdkafka.so.1 not found");
        return Promise.resolve();
      });
    if (!ok) return;
    const clickhouse = await startClickHouse();
    const webhook = startRefusingWebhook();
    let runs: RealPipeline[] = [];
    try {
      runs = await startRuns(clickhouse.url, webhook.url);
      const report = await checkPromQL(runs.map((r) => r.target));
      const byKey = new Map(report.results.map((r) => [r.key, r]));
      const exported = await exportedFamilies(runs);

      await t.step("every expression parses and evaluates", () => {
        const errors = report.results.filter((r) => r.outcome === "error");
        assert.deepEqual(errors, [], describe(errors));
        assert.ok(report.results.length >= 40, `only ${report.results.length} panel expressions`);
      });

      await t.step("every panel returns data, except the listed ones", () => {
        const missing: ExpressionResult[] = report.results.filter((r) =>
          r.outcome !== "data" && !(r.key in NO_DATA_FROM_REAL_RUNS)
        );
        assert.deepEqual(missing, [], describe(missing));
      });

      await t.step("the exception list is exact: each listed panel exists and has no data", () => {
        const stale = Object.keys(NO_DATA_FROM_REAL_RUNS)
          .filter((k) => byKey.get(k)?.outcome !== "empty")
          .map((k) => `${k}: ${byKey.get(k)?.outcome ?? "no such panel"}`);
        assert.deepEqual(stale, [], "remove these from NO_DATA_FROM_REAL_RUNS");
      });

      await t.step("every alert rule evaluates with health ok", () => {
        assert.deepEqual(report.ruleProblems, [], report.ruleProblems.join("\n"));
        assert.ok(report.rules.length >= 10, `only ${report.rules.length} rules loaded`);
      });

      await t.step(
        "every metric and label a panel or rule names is exported by a run",
        async () => {
          // Families no run exports are checked against their catalogue labels instead.
          const families = new Map([...exported].map(([name, f]) => [name, f.labels]));
          for (const m of await readCatalogue()) {
            if (!families.has(m.name) && m.name in NOT_EXPORTED_BY_REAL_RUNS) {
              families.set(m.name, new Set(m.labels));
            }
          }
          const problems = [
            ...report.results.flatMap((r) =>
              labelProblems(r.query.text, families).map((p) => `${r.key}: ${p}`)
            ),
            ...report.rules.flatMap((r) =>
              labelProblems(r.query, families).map((p) => `rule ${r.name}: ${p}`)
            ),
          ];
          assert.deepEqual(problems, []);
        },
      );

      await t.step("the real export matches docs/metrics.md: names, types and labels", async () => {
        const catalogue = new Map<string, CatalogueMetric>(
          (await readCatalogue()).map((m) => [m.name, m]),
        );
        const problems: string[] = [];
        for (const [name, f] of exported) {
          if (!name.startsWith("pipeline_")) continue;
          const m = catalogue.get(name);
          if (!m) {
            problems.push(`${name}: exported but not in docs/metrics.md`);
            continue;
          }
          if (m.type !== f.type) {
            problems.push(`${name}: exported as ${f.type}, catalogue ${m.type}`);
          }
          const want = [...m.labels].sort().join(","), got = [...f.labels].sort().join(",");
          if (want !== got) problems.push(`${name}: labels {${got}}, catalogue {${want}}`);
        }
        for (const name of catalogue.keys()) {
          const listed = name in NOT_EXPORTED_BY_REAL_RUNS;
          if (!exported.has(name) && !listed) problems.push(`${name}: not exported by these runs`);
          if (exported.has(name) && listed) {
            problems.push(`${name}: exported now, remove it from NOT_EXPORTED_BY_REAL_RUNS`);
          }
        }
        assert.deepEqual(problems, []);
      });
    } finally {
      for (const r of runs) await r.stop();
      await webhook.stop();
      await clickhouse.stop();
    }
  },
});
