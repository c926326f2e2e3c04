/**
 * The connectors' options as the pipeline config sets them — one mapping, used both by the loader
 * (which runs each connector's own validation, so a bad value is reported with every other config
 * error, exit 2) and by the code that opens the connectors (src/pipeline/stores.ts,
 * src/pipeline/kafka_roles.ts), so the two cannot drift apart.
 * @module
 */
import type { ClickHouseStoreOptions } from "../connectors/clickhouse/clickhouse_config.ts";
import type { KafkaConfigInput, KafkaTls } from "../connectors/kafka/kafka_config.ts";
import type { PostgresStoreOptions } from "../connectors/postgres/postgres_config.ts";
import type { RedisStoreOptions } from "../connectors/redis/redis_config.ts";
import type { WebhookClientOptions } from "../connectors/webhook/webhook_config.ts";
import type { KafkaTlsConfig, PipelineConfig } from "./pipeline_config.ts";

/** Options of the PostgreSQL store (needs `storage.databaseUrl`). */
export function postgresOptions(config: PipelineConfig): PostgresStoreOptions {
  const s = config.storage;
  return {
    url: s.databaseUrl ?? "",
    schema: s.postgresSchema,
    poolSize: s.postgresPoolSize,
    statementTimeoutMs: s.postgresStatementTimeoutMs,
    ...(s.postgresSsl === undefined ? {} : { ssl: postgresSsl(s.postgresSsl, s.postgresCa) }),
  };
}

/**
 * postgres.js' `ssl`. `verify-full` with a CA bundle becomes Node TLS options: postgres.js hands
 * them to `tls.connect`, which checks the chain against `ca` and the host name (verify-full).
 */
function postgresSsl(
  mode: NonNullable<PipelineConfig["storage"]["postgresSsl"]>,
  ca: string | null,
): PostgresStoreOptions["ssl"] {
  if (mode === "disable") return false;
  if (mode === "verify-full" && ca !== null) return { ca, rejectUnauthorized: true };
  return mode;
}

/** Options of the ClickHouse store (needs `storage.clickhouseUrl`). */
export function clickhouseOptions(config: PipelineConfig): ClickHouseStoreOptions {
  const s = config.storage;
  return {
    url: s.clickhouseUrl ?? "",
    database: s.clickhouseDatabase,
    ticks: s.clickhouseTicks && s.storeTicks,
    ...(s.clickhouseUser === null ? {} : { username: s.clickhouseUser }),
    ...(s.clickhousePassword === null ? {} : { password: s.clickhousePassword }),
    ...(s.clickhouseCa === null ? {} : { caCert: s.clickhouseCa }),
  };
}

/** Options of the Redis store (needs `storage.redisUrl`). */
export function redisOptions(config: PipelineConfig): RedisStoreOptions {
  const s = config.storage;
  return {
    url: s.redisUrl ?? "",
    keyPrefix: s.redisKeyPrefix,
    ...(s.redisCa === null ? {} : { caCert: s.redisCa }),
  };
}

/** Options of the alert webhook client (needs `alertWebhookUrl`). */
export function webhookOptions(config: PipelineConfig): WebhookClientOptions {
  return { url: config.alertWebhookUrl ?? "" };
}

/** Input of the Kafka connector's config (needs `kafkaBrokers`). */
export function kafkaOptions(config: PipelineConfig): KafkaConfigInput {
  const { tls, sasl } = config.kafka;
  return {
    brokers: config.kafkaBrokers ?? [],
    partitions: config.kafka.partitions,
    ...(tls === null ? {} : { ssl: kafkaTls(tls) }),
    ...(sasl === null ? {} : { sasl: { ...sasl } }),
  };
}

function kafkaTls(tls: KafkaTlsConfig): KafkaTls {
  return {
    ...(tls.ca === null ? {} : { ca: tls.ca }),
    ...(tls.cert === null ? {} : { cert: tls.cert }),
    ...(tls.key === null ? {} : { key: tls.key }),
    rejectUnauthorized: tls.rejectUnauthorized,
  };
}
