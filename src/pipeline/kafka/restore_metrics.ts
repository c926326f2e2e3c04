/**
 * How deep a new owner of each partition would have to replay: the records and the event time
 * between the restore point (commit metadata) and the committed offset. Set at every commit; it
 * grows with the longest open interval (1h candles hold about an hour of data) and says what a
 * rebalance or a crash costs in replay, not how far behind the group is (that is the lag).
 * @module
 */
import { gauge, type Registry } from "../../telemetry/metrics.ts";
import type { CommitPoint } from "./commit_tracker.ts";

/** The restore-depth gauges of one topic. */
export interface RestoreMetrics {
  committed(partition: number, point: CommitPoint): void;
  forget(partition: number): void;
}

/** Registers (or reuses) the restore-depth gauges in `registry`. */
export function restoreMetrics(registry: Registry, topic: string): RestoreMetrics {
  const records = gauge(registry, {
    name: "pipeline_kafka_restore_depth_records",
    help: "Records between the restore point and the committed offset (what a new owner replays)",
    labelNames: ["topic", "partition"],
  });
  const seconds = gauge(registry, {
    name: "pipeline_kafka_restore_depth_seconds",
    help: "Event time between the restore point and the committed offset",
    labelNames: ["topic", "partition"],
  });
  return {
    committed(partition, point) {
      const labels = { topic, partition: String(partition) };
      records.set(labels, point.processed - point.restore);
      const span = point.maxTs - point.maxTsBefore;
      seconds.set(labels, Number.isFinite(span) ? span / 1000 : 0);
    },
    forget(partition) {
      records.remove({ topic, partition: String(partition) });
      seconds.remove({ topic, partition: String(partition) });
    },
  };
}
