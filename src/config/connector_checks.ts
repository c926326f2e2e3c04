/**
 * The connectors' own validation, run by the loader on the options the pipeline will open them
 * with (src/config/connector_options.ts): what a connector would refuse at start-up (a PostgreSQL
 * URL without `//`, a Kafka broker without a port…) is reported with every other config error,
 * exit 2, instead of failing the start with exit 1. URLs are redacted in the messages.
 * @module
 */
import { resolveClickHouseConfig } from "../connectors/clickhouse/clickhouse_config.ts";
import { parseKafkaConfig } from "../connectors/kafka/kafka_config.ts";
import { KafkaConfigError } from "../connectors/kafka/errors.ts";
import { OptionsError } from "../connectors/options_error.ts";
import { resolvePostgresConfig } from "../connectors/postgres/postgres_config.ts";
import { resolveRedisConfig } from "../connectors/redis/redis_config.ts";
import { resolveWebhookConfig } from "../connectors/webhook/webhook_config.ts";
import {
  clickhouseOptions,
  kafkaOptions,
  postgresOptions,
  redisOptions,
  webhookOptions,
} from "./connector_options.ts";
import type { PipelineConfig } from "./pipeline_config.ts";

/** Every problem the configured connectors find in their options. */
export function connectorErrors(config: PipelineConfig): string[] {
  const checks: [string, () => unknown][] = [];
  const s = config.storage;
  if (config.kafkaBrokers?.length) {
    checks.push(["--kafka-brokers", () => parseKafkaConfig(kafkaOptions(config))]);
  }
  if (s.databaseUrl) {
    checks.push(["--database-url", () => resolvePostgresConfig(postgresOptions(config))]);
  }
  if (s.clickhouseUrl) {
    checks.push(["--clickhouse-url", () => resolveClickHouseConfig(clickhouseOptions(config))]);
  }
  if (s.redisUrl) checks.push(["--redis-url", () => resolveRedisConfig(redisOptions(config))]);
  if (config.alertWebhookUrl) {
    checks.push(["--alert-webhook-url", () => resolveWebhookConfig(webhookOptions(config))]);
  }
  const errors: string[] = [];
  for (const [option, check] of checks) {
    try {
      check();
    } catch (e) {
      if (!(e instanceof OptionsError || e instanceof KafkaConfigError)) throw e;
      errors.push(...e.problems.map((problem) => `invalid ${option}: ${problem}`));
    }
  }
  return errors;
}
