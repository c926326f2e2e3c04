/**
 * The dashboards and alert rules against real pipelines: a real Prometheus scrapes the /metrics of
 * two in-process pipelines — the monitoring replay, drained into ClickHouse with an alert webhook
 * that refuses every delivery (dead letters, sink errors), its HTTP server kept up; and a live
 * simulator run (rates, latencies and watermarks that move while Prometheus scrapes). Every panel
 * expression must return data, except the panels listed below, which need a mode or component
 * these runs do not have; tests/monitoring/promql_test.ts still makes each of those return data
 * against the fake exporter.
 * @module
 */
import assert from "node:assert/strict";
import { probeClickHouseBinary, startClickHouse } from "../helpers/clickhouse_server.ts";
import { requireService } from "../helpers/services.ts";
import { type CatalogueMetric, readCatalogue } from "./fake_exporter.ts";
import { checkPromQL, describe, type ExpressionResult } from "./promql_check.ts";
import {
  type RealPipeline,
  runDatabase,
  runReplayPipeline,
  startRealPipeline,
  startRefusingWebhook,
} from "./real_pipeline.ts";
import { requireTool } from "./tools.ts";

const KAFKA_ONLY = "Kafka metrics exist only in Kafka mode (--kafka-brokers); in-process runs " +
  "use the memory bus, and no Kafka broker runs here (only librdkafka's mock cluster)";
const LIVE_FEEDS_ONLY = "feed metrics come from the live feeds (CoinCap, Coinbase, Binance, " +
  "Kraken); the simulator and the replay do not go through the feed layer";
const NO_DROP_MAILBOX = "pipeline_actor_dropped_total exists only for drop_oldest/drop_newest " +
  "mailboxes, and no actor of the pipeline uses one (all block)";

/**
 * Panel expressions that return no data from these runs, with the reason. The test fails when
 * one of them does return data (remove it here) or no longer exists.
 */
export const NO_DATA_IN_PROCESS: Readonly<Record<string, string>> = {
  'kafka_metrics.json panel "Total consumer lag" A': KAFKA_ONLY,
  'kafka_metrics.json panel "Consumed /s" A': KAFKA_ONLY,
  'kafka_metrics.json panel "Produced /s" A': KAFKA_ONLY,
  'kafka_metrics.json panel "Assigned partitions" A': KAFKA_ONLY,
  'kafka_metrics.json panel "Consumer lag by partition" A': KAFKA_ONLY,
  'kafka_metrics.json panel "Consumer lag trend" A': KAFKA_ONLY,
  'kafka_metrics.json panel "Messages consumed and produced" A': KAFKA_ONLY,
  'kafka_metrics.json panel "Messages consumed and produced" B': KAFKA_ONLY,
  'kafka_metrics.json panel "Produce latency (send batch)" A': KAFKA_ONLY,
  'kafka_metrics.json panel "Produce latency (send batch)" B': KAFKA_ONLY,
  'kafka_metrics.json panel "Client errors" A': KAFKA_ONLY,
  'kafka_metrics.json panel "Offset commit latency p99" A': KAFKA_ONLY,
  'kafka_metrics.json panel "Assigned and paused partitions per instance" A': KAFKA_ONLY,
  'kafka_metrics.json panel "Assigned and paused partitions per instance" B': KAFKA_ONLY,
  'kafka_metrics.json panel "Group rebalances" A': KAFKA_ONLY,
  'kafka_metrics.json variable "topic"': KAFKA_ONLY,
  'pipeline_overview.json panel "Ticks by source" B':
    "pipeline_duplicate_ticks_total is counted by the live feeds' de-duplication only",
  'pipeline_overview.json panel "Feed errors and reconnects" A': LIVE_FEEDS_ONLY,
  'pipeline_overview.json panel "Feed errors and reconnects" B': LIVE_FEEDS_ONLY,
  'pipeline_overview.json panel "Feed errors and reconnects" C': LIVE_FEEDS_ONLY,
  'pipeline_overview.json panel "Feed messages and ticks produced" A': LIVE_FEEDS_ONLY,
  'pipeline_overview.json panel "Feed messages and ticks produced" B': LIVE_FEEDS_ONLY,
  'pipeline_overview.json panel "Feed freshness (seconds since last message)" A': LIVE_FEEDS_ONLY,
  'pipeline_overview.json panel "Feed request latency p99" A': LIVE_FEEDS_ONLY,
  'pipeline_overview.json panel "Actor failures, restarts and drops" C': NO_DROP_MAILBOX,
};

/** Catalogued metrics these runs do not export, with the reason (the same as for the panels). */
export const NOT_EXPORTED_IN_PROCESS: Readonly<Record<string, string>> = {
  pipeline_kafka_consumer_lag: KAFKA_ONLY,
  pipeline_kafka_messages_consumed_total: KAFKA_ONLY,
  pipeline_kafka_messages_produced_total: KAFKA_ONLY,
  pipeline_kafka_produce_seconds: KAFKA_ONLY,
  pipeline_kafka_errors_total: KAFKA_ONLY,
  pipeline_kafka_rebalances_total: KAFKA_ONLY,
  pipeline_kafka_assigned_partitions: KAFKA_ONLY,
  pipeline_kafka_commit_seconds: KAFKA_ONLY,
  pipeline_kafka_paused_partitions: KAFKA_ONLY,
  pipeline_feed_messages_total: LIVE_FEEDS_ONLY,
  pipeline_feed_ticks_total: LIVE_FEEDS_ONLY,
  pipeline_feed_reconnects_total: LIVE_FEEDS_ONLY,
  pipeline_feed_errors_total: LIVE_FEEDS_ONLY,
  pipeline_feed_last_message_age_seconds: LIVE_FEEDS_ONLY,
  pipeline_feed_request_seconds: LIVE_FEEDS_ONLY,
  pipeline_feed_sequence_gaps_total: LIVE_FEEDS_ONLY,
  pipeline_duplicate_ticks_total: LIVE_FEEDS_ONLY,
  pipeline_actor_dropped_total: NO_DROP_MAILBOX,
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

async function startRuns(clickhouseUrl: string, webhookUrl: string): Promise<RealPipeline[]> {
  const runs: RealPipeline[] = [];
  try {
    runs.push(
      await runReplayPipeline({
        clickhouseUrl,
        database: runDatabase("promql"),
        args: [`--alert-webhook-url=${webhookUrl}`],
      }),
    );
    // Two symbols keep the simulator's 45-minute warm-up short; live ticks follow at 3/s each.
    runs.push(await startRealPipeline(["--source=simulator", "--symbols=BTC-USD,ETH-USD"]));
    return runs;
  } catch (err) {
    for (const r of runs) await r.stop();
    throw err;
  }
}

Deno.test("dashboards and alerts on Prometheus scraping real pipelines: every panel returns data except the listed ones", async (t) => {
  const ok = await requireTool("prometheus") &&
    await requireService("clickhouse-server", probeClickHouseBinary);
  if (!ok) return;
  const clickhouse = await startClickHouse();
  const webhook = startRefusingWebhook();
  let runs: RealPipeline[] = [];
  try {
    runs = await startRuns(clickhouse.url, webhook.url);
    const report = await checkPromQL(runs.map((r) => r.target));
    const byKey = new Map(report.results.map((r) => [r.key, r]));

    await t.step("every expression parses and evaluates", () => {
      const errors = report.results.filter((r) => r.outcome === "error");
      assert.deepEqual(errors, [], describe(errors));
      assert.ok(report.results.length >= 40, `only ${report.results.length} panel expressions`);
    });

    await t.step("every panel returns data, except those needing Kafka or live feeds", () => {
      const missing: ExpressionResult[] = report.results.filter((r) =>
        r.outcome !== "data" && !(r.key in NO_DATA_IN_PROCESS)
      );
      assert.deepEqual(missing, [], describe(missing));
    });

    await t.step("the exception list is exact: each listed panel exists and has no data", () => {
      const stale = Object.keys(NO_DATA_IN_PROCESS).filter((k) => byKey.get(k)?.outcome !== "empty")
        .map((k) => `${k}: ${byKey.get(k)?.outcome ?? "no such panel"}`);
      assert.deepEqual(stale, [], "remove these from NO_DATA_IN_PROCESS");
    });

    await t.step("every alert rule evaluates with health ok", () => {
      assert.deepEqual(report.ruleProblems, [], report.ruleProblems.join("\n"));
      assert.ok(report.rules.length >= 10, `only ${report.rules.length} rules loaded`);
    });

    await t.step("the real export matches docs/metrics.md: names, types and labels", async () => {
      const exported = new Map<string, Family>();
      for (const run of runs) {
        for (const [name, f] of parseExposition(await run.metrics())) {
          const seen = exported.get(name);
          if (seen) f.labels.forEach((l) => seen.labels.add(l));
          else exported.set(name, f);
        }
      }
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
        if (m.type !== f.type) problems.push(`${name}: exported as ${f.type}, catalogue ${m.type}`);
        const want = [...m.labels].sort().join(","), got = [...f.labels].sort().join(",");
        if (want !== got) problems.push(`${name}: labels {${got}}, catalogue {${want}}`);
      }
      for (const name of catalogue.keys()) {
        const listed = name in NOT_EXPORTED_IN_PROCESS;
        if (!exported.has(name) && !listed) problems.push(`${name}: not exported by these runs`);
        if (exported.has(name) && listed) {
          problems.push(`${name}: exported now, remove it from NOT_EXPORTED_IN_PROCESS`);
        }
      }
      assert.deepEqual(problems, []);
    });
  } finally {
    for (const r of runs) await r.stop();
    await webhook.stop();
    await clickhouse.stop();
  }
});
