/**
 * Builds the kafkajs client from a {@linkcode KafkaConfig}, with kafkajs' own logs routed into our
 * structured logger (never the console).
 * @module
 */
import { Kafka, type logCreator, logLevel, type SASLOptions } from "kafkajs";
import type { ConnectionOptions } from "node:tls";
import type { Logger } from "../../logger.ts";
import type { KafkaConfig } from "./kafka_config.ts";
import type { Registry } from "../../telemetry/metrics.ts";
import { offsetResetCounter } from "./consumer_metrics.ts";
import { createPlatformaticClient, PlatformaticKafka } from "./platformatic_client.ts";

/** The Kafka client libraries the connector runs on. */
export const KAFKA_CLIENTS = ["kafkajs", "platformatic"] as const;
/** `kafkajs` (kafkajs 2.2.4) or `platformatic` (`@platformatic/kafka`). */
export type KafkaClientKind = (typeof KAFKA_CLIENTS)[number];
/** The client the connector's producer, consumer and admin look-ups are built over. */
export type KafkaClient = Kafka | PlatformaticKafka;

/** Whether `client` is the `@platformatic/kafka` one. */
export function isPlatformatic(client: KafkaClient): client is PlatformaticKafka {
  return client instanceof PlatformaticKafka;
}

/** Creates the client of the kind asked for (see {@linkcode createKafkaClient}). */
export function createClient(
  kind: KafkaClientKind,
  config: KafkaConfig,
  options: KafkaClientOptions,
): KafkaClient {
  return kind === "platformatic"
    ? createPlatformaticClient(config, options)
    : createKafkaClient(config, options);
}

/** Options of {@linkcode createKafkaClient}. */
export interface KafkaClientOptions {
  /** Where kafkajs logs go, under the `kafka` namespace. */
  logger: Logger;
  /**
   * The most verbose kafkajs level forwarded. Default `warn`: kafkajs logs every join and
   * connection at info, which is noise at our scale.
   */
  level?: "error" | "warn" | "info" | "debug";
  /** Retries of each request before it fails. Default 8 (see below); 0 fails at once. */
  retries?: number;
  /**
   * Where kafkajs' offset resets are counted (`pipeline_kafka_offset_resets_total`): its consumer
   * resets a position outside the log by itself and reports it only in a log entry.
   */
  registry?: Registry;
}

const KAFKAJS_LEVEL = {
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
} as const;

/**
 * Creates the kafkajs `Kafka` client.
 *
 * Retries: kafkajs' own retrier (initial 300 ms, factor 2, ×8 retries, capped at 10 s) rides out a
 * broker that is down for several seconds; what still fails surfaces as our named errors.
 *
 * @example
 * ```ts
 * import { createKafkaClient } from "./kafka_client.ts";
 * import { parseKafkaConfig } from "./kafka_config.ts";
 * import { silentLogger } from "../../logger.ts";
 * const kafka = createKafkaClient(parseKafkaConfig({ brokers: "127.0.0.1:9092" }), {
 *   logger: silentLogger,
 * });
 * ```
 */
export function createKafkaClient(config: KafkaConfig, options: KafkaClientOptions): Kafka {
  const level = options.level ?? "warn";
  return new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    ssl: tlsOptions(config.ssl),
    ...(config.sasl ? { sasl: { ...config.sasl } as SASLOptions } : {}),
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    retry: {
      initialRetryTime: 300,
      retries: options.retries ?? 8,
      maxRetryTime: 10_000,
      factor: 0.2,
      multiplier: 2,
    },
    logLevel: KAFKAJS_LEVEL[level],
    logCreator: kafkaLogCreator(
      options.logger.child("kafka"),
      options.registry ? offsetResetCounter(options.registry) : undefined,
    ),
  });
}

/** kafkajs' `ssl`: Node `tls.connect` options, or a plain on/off. */
function tlsOptions(ssl: KafkaConfig["ssl"]): boolean | ConnectionOptions {
  if (typeof ssl === "boolean") return ssl;
  return {
    ...(ssl.ca === undefined ? {} : { ca: [ssl.ca] }),
    ...(ssl.cert === undefined ? {} : { cert: ssl.cert }),
    ...(ssl.key === undefined ? {} : { key: ssl.key }),
    rejectUnauthorized: ssl.rejectUnauthorized ?? true,
  };
}

/** What kafkajs 2.2.4 logs (consumerGroup.js) when it moves a position outside the log. */
export const KAFKAJS_OFFSET_RESET = "Offset out of range, resetting to default offset";

/**
 * A kafkajs `logCreator` that forwards entries to `logger`, namespaced by kafkajs' component, and
 * hands kafkajs' offset resets (by group and topic) to `onOffsetReset`.
 */
export function kafkaLogCreator(
  logger: Logger,
  onOffsetReset?: (group: string, topic: string) => void,
): logCreator {
  return () => ({ namespace, level, log }) => {
    const { message, timestamp: _t, logger: _l, ...fields } = log;
    if (onOffsetReset && message === KAFKAJS_OFFSET_RESET) {
      onOffsetReset(String(fields.groupId ?? ""), String(fields.topic ?? ""));
    }
    const target = namespace ? logger.child(namespace) : logger;
    if (level <= logLevel.ERROR) target.error(message, fields);
    else if (level === logLevel.WARN) target.warn(message, fields);
    else if (level === logLevel.INFO) target.info(message, fields);
    else target.debug(message, fields);
  };
}
