/**
 * The connectors' options as the pipeline config sets them — one mapping, used both by the loader
 * (which runs each connector's own validation, so a bad value is reported with every other config
 * error, exit 2) and by the code that opens the connectors (src/pipeline/stores.ts,
 * src/pipeline/kafka_roles.ts), so the two cannot drift apart.
 * @module
 */
import type { ClickHouseStoreOptions } from "../connectors/clickhouse/clickhouse_config.ts";
import type { KafkaConfigInput } from "../connectors/kafka/kafka_config.ts";
import type { PostgresStoreOptions } from "../connectors/postgres/postgres_config.ts";
import type { RedisStoreOptions } from "../connectors/redis/redis_config.ts";
import type { WebhookClientOptions } from "../connectors/webhook/webhook_config.ts";
import type { PipelineConfig } from "./pipeline_config.ts";

/** Options of the PostgreSQL store (needs `storage.databaseUrl`). */
export function postgresOptions(config: PipelineConfig): PostgresStoreOptions {
  const s = config.storage;
  return {
    url: s.databaseUrl ?? "",
    schema: s.postgresSchema,
    poolSize: s.postgresPoolSize,
    statementTimeoutMs: s.postgresStatementTimeoutMs,
    ...(s.postgresSsl === undefined
      ? {}
      : { ssl: s.postgresSsl === "disable" ? false : s.postgresSsl }),
  };
}

/** Options of the ClickHouse store (needs `storage.clickhouseUrl`). */
export function clickhouseOptions(config: PipelineConfig): ClickHouseStoreOptions {
  const s = config.storage;
  return {
    url: s.clickhouseUrl ?? "",
    database: s.clickhouseDatabase,
    ticks: s.clickhouseTicks && s.storeTicks,
  };
}

/** Options of the Redis store (needs `storage.redisUrl`). */
export function redisOptions(config: PipelineConfig): RedisStoreOptions {
  return { url: config.storage.redisUrl ?? "", keyPrefix: config.storage.redisKeyPrefix };
}

/** Options of the alert webhook client (needs `alertWebhookUrl`). */
export function webhookOptions(config: PipelineConfig): WebhookClientOptions {
  return { url: config.alertWebhookUrl ?? "" };
}

/** Input of the Kafka connector's config (needs `kafkaBrokers`). */
export function kafkaOptions(config: PipelineConfig): KafkaConfigInput {
  return { brokers: config.kafkaBrokers ?? [], partitions: config.kafka.partitions };
}
