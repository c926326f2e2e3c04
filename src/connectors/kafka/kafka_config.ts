/**
 * Kafka connector configuration: brokers, client id, topic names, partitions, SASL/TLS. The
 * pipeline's config loader reads flags/env and passes plain values to {@linkcode parseKafkaConfig},
 * which applies the defaults, validates everything, reports every problem at once and returns a
 * frozen object.
 * @module
 */
import { KafkaConfigError } from "./errors.ts";

/** Names of the pipeline's topics. */
export interface KafkaTopicNames {
  /** Raw ticks, key = symbol. Default `crypto.ticks`. */
  readonly ticks: string;
  /** Rejected input with the reason in a header. Default `crypto.ticks.dlq`. */
  readonly ticksDlq: string;
  /** Closed candles, key = `<venue>:<symbol>` (kafka_topic_store.ts). Default `crypto.candles`. */
  readonly candles: string;
  /** Alerts. Default `crypto.alerts`. */
  readonly alerts: string;
}

/**
 * TLS settings beyond "on": PEM contents (not paths: the config loader read the files). Without
 * `ca` the system's CAs verify the brokers; `cert` and `key` (mutual TLS) go together.
 */
export interface KafkaTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Refuse a broker whose certificate does not verify. Default true. */
  readonly rejectUnauthorized?: boolean;
}

/** SASL credentials. */
export interface KafkaSasl {
  readonly mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
  readonly username: string;
  readonly password: string;
}

/** The resolved Kafka configuration. */
export interface KafkaConfig {
  /** `host:port` bootstrap brokers, at least one. */
  readonly brokers: readonly string[];
  /** Client id sent to the brokers. Default `crypto-pipeline`. */
  readonly clientId: string;
  readonly topics: KafkaTopicNames;
  /** Partitions of topics created at start-up. Default 12. */
  readonly partitions: number;
  /** Replication factor of topics created at start-up. Default 1. */
  readonly replicationFactor: number;
  /** Connect with TLS (`true`: the system's CAs, verified). Default false. */
  readonly ssl: boolean | KafkaTls;
  readonly sasl?: KafkaSasl;
  /** TCP connect timeout. Default 3000 ms. */
  readonly connectionTimeoutMs: number;
  /** Request timeout. Default 30 000 ms. */
  readonly requestTimeoutMs: number;
}

/** What {@linkcode parseKafkaConfig} accepts: brokers required, the rest optional. */
export interface KafkaConfigInput {
  /** An array or a comma-separated list. */
  brokers: readonly string[] | string;
  clientId?: string;
  topics?: Partial<KafkaTopicNames>;
  partitions?: number;
  replicationFactor?: number;
  ssl?: boolean | KafkaTls;
  sasl?: KafkaSasl;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** The default topic names. */
export const DEFAULT_TOPICS: KafkaTopicNames = Object.freeze({
  ticks: "crypto.ticks",
  ticksDlq: "crypto.ticks.dlq",
  candles: "crypto.candles",
  alerts: "crypto.alerts",
});

const KNOWN_KEYS = new Set([
  "brokers",
  "clientId",
  "topics",
  "partitions",
  "replicationFactor",
  "ssl",
  "sasl",
  "connectionTimeoutMs",
  "requestTimeoutMs",
]);
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const BROKER = /^[^\s:,]+:\d{1,5}$/;
const MECHANISMS = new Set(["plain", "scram-sha-256", "scram-sha-512"]);

/**
 * Validates `input`, applies defaults and returns a frozen config.
 *
 * @throws {KafkaConfigError} listing every problem.
 * @example
 * ```ts
 * import { parseKafkaConfig } from "./kafka_config.ts";
 * const config = parseKafkaConfig({ brokers: "127.0.0.1:9092", partitions: 6 });
 * console.assert(config.topics.ticks === "crypto.ticks");
 * ```
 */
export function parseKafkaConfig(input: KafkaConfigInput): KafkaConfig {
  const problems: string[] = [];
  for (const key of Object.keys(input)) {
    if (!KNOWN_KEYS.has(key)) problems.push(`unknown key "${key}"`);
  }
  const brokers = parseBrokerList(input.brokers);
  if (brokers.length === 0) problems.push("brokers: at least one host:port is required");
  for (const b of brokers) if (!BROKER.test(b)) problems.push(`brokers: "${b}" is not host:port`);
  const topics = { ...DEFAULT_TOPICS, ...input.topics };
  for (const [key, name] of Object.entries(topics)) {
    if (!(key in DEFAULT_TOPICS)) problems.push(`topics: unknown key "${key}"`);
    else if (!TOPIC_NAME.test(name)) problems.push(`topics.${key}: invalid topic name "${name}"`);
  }
  const int = (name: string, value: number | undefined, fallback: number, min: number) => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min) {
      problems.push(`${name} must be an integer ≥ ${min}, received ${v}`);
    }
    return v;
  };
  const config: KafkaConfig = {
    brokers: Object.freeze(brokers),
    clientId: input.clientId ?? "crypto-pipeline",
    topics: Object.freeze(topics),
    partitions: int("partitions", input.partitions, 12, 1),
    replicationFactor: int("replicationFactor", input.replicationFactor, 1, 1),
    ssl: typeof input.ssl === "object" ? Object.freeze({ ...input.ssl }) : input.ssl ?? false,
    connectionTimeoutMs: int("connectionTimeoutMs", input.connectionTimeoutMs, 3000, 1),
    requestTimeoutMs: int("requestTimeoutMs", input.requestTimeoutMs, 30_000, 1),
    ...(input.sasl ? { sasl: Object.freeze({ ...input.sasl }) } : {}),
  };
  if (!config.clientId) problems.push("clientId must not be empty");
  if (input.sasl) {
    if (!MECHANISMS.has(input.sasl.mechanism)) {
      problems.push(`sasl.mechanism must be one of ${[...MECHANISMS].join(", ")}`);
    }
    if (!input.sasl.username) problems.push("sasl.username must not be empty");
    if (!input.sasl.password) problems.push("sasl.password must not be empty");
  }
  if (typeof input.ssl === "object" && !input.ssl.cert !== !input.ssl.key) {
    problems.push("ssl.cert and ssl.key go together (a client certificate and its key)");
  }
  if (problems.length > 0) throw new KafkaConfigError(problems);
  return Object.freeze(config);
}

/** Splits `"a:9092, b:9092"` (or an array) into trimmed, non-empty `host:port` entries. */
export function parseBrokerList(brokers: readonly string[] | string): string[] {
  const list = typeof brokers === "string" ? brokers.split(",") : brokers;
  return list.map((b) => b.trim()).filter((b) => b.length > 0);
}
