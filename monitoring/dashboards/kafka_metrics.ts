/**
 * The Kafka Metrics dashboard: consumer lag, throughput, producer latency, errors and the
 * consumer group, as seen by the pipeline's own clients (no broker-side exporter is needed).
 * @module
 */
import { type Dashboard, dashboard, prom, promLabelVariable } from "./grafana_model.ts";

const T = `topic=~"$topic"`;
const RATE = "$__rate_interval";

/** Builds the Kafka Metrics dashboard. */
export function kafkaMetrics(): Dashboard {
  const small = { w: 6, h: 4 };
  const wide = { w: 12, h: 8 };
  return dashboard({
    uid: "kafka-metrics",
    title: "Kafka Metrics",
    description:
      "Lag, throughput, latency and errors of the pipeline's Kafka producers and consumers.",
    tags: ["kafka"],
    variables: [
      promLabelVariable("topic", "Topic", "label_values(pipeline_kafka_consumer_lag, topic)"),
    ],
    panels: [
      {
        type: "stat",
        title: "Processing lag",
        description:
          "Records not yet handed on (high watermark − next offset to process), all partitions.",
        size: small,
        unit: "short",
        targets: [prom(`sum(pipeline_kafka_processing_lag{${T}})`)],
      },
      {
        type: "stat",
        title: "Consumed /s",
        size: small,
        unit: "ops",
        targets: [prom(`sum(rate(pipeline_kafka_messages_consumed_total{${T}}[${RATE}]))`)],
      },
      {
        type: "stat",
        title: "Produced /s",
        size: small,
        unit: "ops",
        targets: [prom(`sum(rate(pipeline_kafka_messages_produced_total{${T}}[${RATE}]))`)],
      },
      {
        type: "stat",
        title: "Assigned partitions",
        description: "Summed over the consumer group's members; should equal the partition count.",
        size: small,
        unit: "short",
        targets: [
          prom(`sum by (group) (pipeline_kafka_assigned_partitions)`, { legend: "{{group}}" }),
        ],
      },
      {
        type: "timeseries",
        title: "Processing lag by partition",
        description: "How far behind each partition's owner is; alerts use this.",
        size: wide,
        unit: "short",
        targets: [
          prom(`sum by (topic, partition) (pipeline_kafka_processing_lag{${T}})`, {
            legend: "{{topic}}/{{partition}}",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Committed lag (what Kafka tools see) and its trend",
        description:
          "High watermark − committed offset, as kafka-consumer-groups, Kafka UI and KEDA compute it; about the processing lag plus one commit interval. The trend is its per-second derivative: positive for long means consumers fall behind.",
        size: wide,
        unit: "short",
        targets: [
          prom(`sum by (topic) (pipeline_kafka_consumer_lag{${T}})`, { legend: "{{topic}} lag" }),
          prom(`sum by (topic) (deriv(pipeline_kafka_consumer_lag{${T}}[5m]))`, {
            legend: "{{topic}} trend /s",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Restore depth (what a new owner would replay)",
        description:
          "Per partition: records and event time between the restore point in the commit metadata and the committed offset — about the longest candle interval. The cost of a rebalance or crash, not a lag.",
        size: wide,
        unit: "short",
        targets: [
          prom(`sum by (topic, partition) (pipeline_kafka_restore_depth_records{${T}})`, {
            legend: "{{topic}}/{{partition}} records",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Restore depth in event time",
        size: wide,
        unit: "s",
        targets: [
          prom(`max by (topic, partition) (pipeline_kafka_restore_depth_seconds{${T}})`, {
            legend: "{{topic}}/{{partition}}",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Messages consumed and produced",
        size: wide,
        unit: "ops",
        targets: [
          prom(`sum by (topic) (rate(pipeline_kafka_messages_consumed_total{${T}}[${RATE}]))`, {
            legend: "{{topic}} consumed",
          }),
          prom(`sum by (topic) (rate(pipeline_kafka_messages_produced_total{${T}}[${RATE}]))`, {
            legend: "{{topic}} produced",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Produce latency (send batch)",
        size: wide,
        unit: "s",
        targets: [
          prom(
            `histogram_quantile(0.5, sum by (topic, le) (rate(pipeline_kafka_produce_seconds_bucket{${T}}[${RATE}])))`,
            { legend: "{{topic}} p50" },
          ),
          prom(
            `histogram_quantile(0.99, sum by (topic, le) (rate(pipeline_kafka_produce_seconds_bucket{${T}}[${RATE}])))`,
            { legend: "{{topic}} p99" },
          ),
        ],
      },
      {
        type: "timeseries",
        title: "Client errors",
        size: wide,
        unit: "ops",
        targets: [
          prom(`sum by (client, kind) (rate(pipeline_kafka_errors_total[${RATE}]))`, {
            legend: "{{client}} {{kind}}",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Offset commit latency p99",
        size: wide,
        unit: "s",
        targets: [
          prom(
            `histogram_quantile(0.99, sum by (group, le) (rate(pipeline_kafka_commit_seconds_bucket[${RATE}])))`,
            { legend: "{{group}}" },
          ),
        ],
      },
      {
        type: "timeseries",
        title: "Assigned and paused partitions per instance",
        description: "Paused partitions are backpressure: the downstream actors are full.",
        size: wide,
        unit: "short",
        targets: [
          prom(`sum by (instance, group) (pipeline_kafka_assigned_partitions)`, {
            legend: "{{instance}} assigned",
          }),
          prom(`sum by (instance, group) (pipeline_kafka_paused_partitions)`, {
            legend: "{{instance}} paused",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Offset resets (records skipped)",
        description:
          "A position outside the log moved to its start or end: retention deleted records before the group read them. Any value is data loss (alert KafkaOffsetReset).",
        size: wide,
        unit: "short",
        targets: [
          prom(`sum by (group, topic) (increase(pipeline_kafka_offset_resets_total[${RATE}]))`, {
            legend: "{{group}} {{topic}}",
          }),
        ],
      },
      {
        type: "timeseries",
        title: "Group rebalances",
        size: wide,
        unit: "short",
        targets: [
          prom(`sum by (group) (increase(pipeline_kafka_rebalances_total[${RATE}]))`, {
            legend: "{{group}}",
          }),
        ],
      },
    ],
  });
}
