/**
 * Start-up topic provisioning: create the pipeline's topics when missing. An existing topic, or a
 * cluster that refuses creation (no permission, CreateTopics unsupported — the librdkafka mock
 * answers "Broker 0 not found"), is logged clearly and reported, never thrown: the pipeline can
 * still run on topics an operator created or the broker auto-creates.
 * @module
 */
import { type AdminClient, openAdmin } from "./kafka_admin_client.ts";
import type { KafkaClient } from "./kafka_client.ts";
import type { Logger } from "../../logger.ts";
import { counter, type Registry } from "../../telemetry/metrics.ts";
import type { KafkaConfig } from "./kafka_config.ts";

/** A topic to provision. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor?: number;
}

/** What happened to one topic. */
export type TopicStatus = "exists" | "created" | "unavailable";

/** The outcome for one topic. */
export interface TopicResult {
  readonly topic: string;
  readonly status: TopicStatus;
  /** Partition count seen on the cluster, when known. */
  readonly partitions?: number;
  /** Why creation failed, for `unavailable`. */
  readonly error?: string;
}

/** Options of {@linkcode ensureTopics}. */
export interface EnsureTopicsOptions {
  logger: Logger;
  /** Counts failures as `pipeline_kafka_errors_total{client="admin"}`. */
  registry?: Registry;
  /** Admin request retries. Default 2: a refusing broker should not stall start-up. */
  retries?: number;
}

/** The four pipeline topics with the configured partitions and replication. */
export function pipelineTopics(config: KafkaConfig): TopicSpec[] {
  const { ticks, ticksDlq, candles, alerts } = config.topics;
  return [ticks, ticksDlq, candles, alerts].map((name) => ({
    name,
    partitions: config.partitions,
    replicationFactor: config.replicationFactor,
  }));
}

/**
 * Creates the missing topics among `specs`. Resolves with one result per topic; rejects only when
 * the cluster cannot be reached at all.
 *
 * @example
 * ```ts ignore
 * const results = await ensureTopics(kafka, pipelineTopics(config), { logger });
 * ```
 */
export async function ensureTopics(
  kafka: KafkaClient,
  specs: readonly TopicSpec[],
  options: EnsureTopicsOptions,
): Promise<TopicResult[]> {
  const log = options.logger.child("topics");
  const errors = options.registry && counter(options.registry, {
    name: "pipeline_kafka_errors_total",
    help: "Kafka producer/consumer/admin errors",
    labelNames: ["client", "kind"],
  });
  const admin = await openAdmin(kafka, options.retries ?? 2);
  try {
    const existing = new Set(await admin.listTopics());
    const results = new Map<string, TopicResult>();
    const missing = specs.filter((s) => !existing.has(s.name));
    for (const spec of specs) {
      if (existing.has(spec.name)) results.set(spec.name, { topic: spec.name, status: "exists" });
    }
    if (missing.length > 0) {
      try {
        await admin.createTopics(missing);
        for (const s of missing) results.set(s.name, { topic: s.name, status: "created" });
      } catch (error) {
        // A concurrent instance may have created them meanwhile: look again before giving up.
        const now = new Set(await admin.listTopics().catch(() => [] as string[]));
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        for (const s of missing) {
          if (now.has(s.name)) {
            results.set(s.name, { topic: s.name, status: "exists" });
          } else {
            errors?.inc({ client: "admin", kind: "create_topic" });
            results.set(s.name, { topic: s.name, status: "unavailable", error: reason });
          }
        }
      }
    }
    await describePartitions(admin, results);
    for (const spec of specs) report(log, spec, results.get(spec.name)!);
    return specs.map((s) => results.get(s.name)!);
  } finally {
    await admin.close();
  }
}

async function describePartitions(
  admin: AdminClient,
  results: Map<string, TopicResult>,
): Promise<void> {
  // Only ask about topics known to exist: on many brokers a metadata request auto-creates a topic.
  const known = [...results.values()].filter((r) => r.status !== "unavailable").map((r) => r.topic);
  if (known.length === 0) return;
  try {
    for (const [name, partitions] of await admin.partitions(known)) {
      const r = results.get(name);
      if (r) results.set(name, { ...r, partitions: partitions.length });
    }
  } catch {
    // Partition counts are informational only.
  }
}

function report(log: Logger, spec: TopicSpec, r: TopicResult): void {
  const fields = { topic: spec.name, partitions: r.partitions, wanted: spec.partitions };
  if (r.status === "created") log.info("topic created", fields);
  else if (r.status === "exists") {
    if (r.partitions !== undefined && r.partitions < spec.partitions) {
      log.warn("topic exists with fewer partitions than configured; not changed", fields);
    } else log.info("topic already exists", fields);
  } else {
    log.warn(
      "cannot create topic; continuing — create it by hand or rely on broker auto-creation",
      { ...fields, error: r.error },
    );
  }
}
