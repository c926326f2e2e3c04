/**
 * The label check of promql_check.ts on hand-written expressions: it must find a metric that is
 * not exported, a selector on a label the metric lacks, and a grouping label no metric has —
 * and accept target labels, `le` on buckets and `label_values` variables.
 * @module
 */
import assert from "node:assert/strict";
import { labelProblems } from "./promql_check.ts";

const families = new Map<string, ReadonlySet<string>>([
  ["pipeline_ticks_total", new Set(["source", "symbol"])],
  ["pipeline_sink_write_seconds", new Set(["sink"])],
  ["pipeline_kafka_consumer_lag", new Set(["topic", "partition"])],
]);

Deno.test("labelProblems accepts what the families export", () => {
  for (
    const expr of [
      `sum by (source) (rate(pipeline_ticks_total{instance=~"$instance",symbol="BTC-USD"}[$__rate_interval]))`,
      `histogram_quantile(0.99, sum by (sink, le) (rate(pipeline_sink_write_seconds_bucket[5m])))`,
      `sum by (service) (up{job="pipeline"})`,
      `sum by (topic) (pipeline_kafka_consumer_lag) > 1000 and sum by (topic) (deriv(pipeline_kafka_consumer_lag[10m])) > 0`,
      `label_values(pipeline_kafka_consumer_lag, topic)`,
      `absent(up{job="pipeline",service="ingest"} == 1)`,
    ]
  ) assert.deepEqual(labelProblems(expr, families), [], expr);
});

Deno.test("labelProblems reports missing metrics, selector labels and grouping labels", () => {
  assert.deepEqual(labelProblems(`sum(rate(pipeline_nope_total[1m]))`, families), [
    "metric pipeline_nope_total is not exported",
  ]);
  assert.deepEqual(labelProblems(`pipeline_ticks_total{kind="x"}`, families), [
    'pipeline_ticks_total has no label "kind"',
  ]);
  assert.deepEqual(labelProblems(`sum by (source, kind) (pipeline_ticks_total)`, families), [
    "by (kind): no metric of the expression has it",
  ]);
  assert.deepEqual(labelProblems(`sum by (le) (pipeline_ticks_total)`, families), [
    "by (le): no metric of the expression has it",
  ]);
  assert.deepEqual(labelProblems(`label_values(pipeline_kafka_consumer_lag, group)`, families), [
    'pipeline_kafka_consumer_lag has no label "group"',
  ]);
});
