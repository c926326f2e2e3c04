/**
 * The consumer's `pipeline_kafka_*` metrics (see docs/metrics.md), updated per batch, commit or
 * rebalance — never per message.
 * @module
 */
import {
  counter,
  gauge,
  histogram,
  LATENCY_BUCKETS,
  type Registry,
} from "../../telemetry/metrics.ts";

/** The consumer's metric handles, bound to one group. */
export interface ConsumerMetrics {
  consumed(topic: string, n: number): void;
  /** High watermark − committed offset: the lag every Kafka tool computes. */
  lag(topic: string, partition: number, lag: number): void;
  /** High watermark − the next offset to deliver, after a batch was handed on. */
  processingLag(topic: string, partition: number, lag: number): void;
  forgetPartition(topic: string, partition: number): void;
  rebalance(): void;
  assigned(n: number): void;
  paused(n: number): void;
  commitSeconds(seconds: number): void;
  error(kind: string): void;
  /** A position outside the partition's log was moved to its start or end. */
  offsetReset(topic: string): void;
}

/**
 * Counts `pipeline_kafka_offset_resets_total{group, topic}` in `registry`: a committed (or
 * sought) position the broker no longer has, or never had, was moved to the log's start or end.
 * The records between were never read by the group — retention deleted them first — so every
 * count is data the pipeline skipped; the one signal of it besides a log line (alert
 * KafkaOffsetReset). Both clients count here: kafkajs resets inside its consumer and only logs it
 * (kafka_client.ts), the platformatic consumer resets itself.
 */
export function offsetResetCounter(registry: Registry): (group: string, topic: string) => void {
  const resets = counter(registry, {
    name: "pipeline_kafka_offset_resets_total",
    help:
      "Consumer positions outside the log moved to its start or end (the records between are skipped)",
    labelNames: ["group", "topic"],
  });
  return (group, topic) => resets.inc({ group, topic });
}

/** Registers (or reuses) the consumer metrics in `registry` for `group`. */
export function consumerMetrics(registry: Registry, group: string): ConsumerMetrics {
  const consumed = counter(registry, {
    name: "pipeline_kafka_messages_consumed_total",
    help: "Records consumed",
    labelNames: ["topic"],
  });
  const lag = gauge(registry, {
    name: "pipeline_kafka_consumer_lag",
    help: "High watermark minus committed offset (what Kafka's own tools report)",
    labelNames: ["topic", "partition"],
  });
  const processingLag = gauge(registry, {
    name: "pipeline_kafka_processing_lag",
    help: "High watermark minus the next offset to process (records not yet handed on)",
    labelNames: ["topic", "partition"],
  });
  const rebalances = counter(registry, {
    name: "pipeline_kafka_rebalances_total",
    help: "Group rebalances seen (every join, the first included)",
    labelNames: ["group"],
  });
  const assigned = gauge(registry, {
    name: "pipeline_kafka_assigned_partitions",
    help: "Partitions assigned to this instance",
    labelNames: ["group"],
  });
  const paused = gauge(registry, {
    name: "pipeline_kafka_paused_partitions",
    help: "Partitions paused for backpressure",
    labelNames: ["group"],
  });
  const commit = histogram(registry, {
    name: "pipeline_kafka_commit_seconds",
    help: "Offset commit latency",
    labelNames: ["group"],
    buckets: LATENCY_BUCKETS,
  });
  const resets = offsetResetCounter(registry);
  const errors = counter(registry, {
    name: "pipeline_kafka_errors_total",
    help: "Kafka producer/consumer/admin errors",
    labelNames: ["client", "kind"],
  });
  return {
    consumed: (topic, n) => consumed.inc({ topic }, n),
    lag: (topic, partition, n) => lag.set({ topic, partition: String(partition) }, n),
    processingLag: (topic, partition, n) =>
      processingLag.set({ topic, partition: String(partition) }, n),
    forgetPartition: (topic, partition) => {
      lag.remove({ topic, partition: String(partition) });
      processingLag.remove({ topic, partition: String(partition) });
    },
    rebalance: () => rebalances.inc({ group }),
    assigned: (n) => assigned.set({ group }, n),
    paused: (n) => paused.set({ group }, n),
    commitSeconds: (s) => commit.observe({ group }, s),
    error: (kind) => errors.inc({ client: "consumer", kind }),
    offsetReset: (topic) => resets(group, topic),
  };
}
