/**
 * The ConfigMap every role reads (`envFrom`): settings shared by the roles in the base, and per
 * overlay the connection settings — the only thing overlays change. Secrets never appear here:
 * `<VAR>_FILE` variables name files of the mounted Secret (src/config/parsed_options.ts).
 * @module
 */
import { ConfigMap } from "kubernetes-models/v1";
import {
  CONFIG_MAP,
  HTTP_PORT,
  labels,
  NAMESPACE,
  SECRET_DIR,
  TICKS_PARTITIONS,
} from "./settings.ts";

/** A file of the mounted Secret (its key). */
export const secretFile = (key: string) => `${SECRET_DIR}/${key}`;

/** Settings of every role in every environment. */
export const SHARED_SETTINGS: Record<string, string> = {
  // Inside the pod: the kubelet's probes and Prometheus come from outside the container.
  HTTP_ADDR: `0.0.0.0:${HTTP_PORT}`,
  LIVE_VIEW: "off",
  LOG_LEVEL: "info",
  // The root filesystem is read-only: no embedded SQLite. ClickHouse keeps candles (and is what a
  // new partition owner restores from), PostgreSQL raw ticks, alerts and dead letters.
  SQLITE_PATH: "",
  SOURCE: "simulator",
  KAFKA_PARTITIONS: String(TICKS_PARTITIONS),
  CLICKHOUSE_DATABASE: "crypto",
};

/** The base ConfigMap. */
export function configMap(data: Record<string, string> = SHARED_SETTINGS): ConfigMap {
  return new ConfigMap({
    metadata: { name: CONFIG_MAP, namespace: NAMESPACE, labels: labels() },
    data,
  });
}

/** Where an environment's pipeline connects: the overlay's ConfigMap data and KEDA's view. */
export interface Connection {
  readonly settings: Record<string, string>;
  /** KEDA's name of the SASL mechanism (`plaintext` is its PLAIN). */
  readonly kedaSasl: "plaintext" | "scram_sha256" | "scram_sha512";
}

const STORES_FROM_SECRETS = {
  DATABASE_URL_FILE: secretFile("database-url"),
  CLICKHOUSE_PASSWORD_FILE: secretFile("clickhouse-password"),
  REDIS_URL_FILE: secretFile("redis-url"),
};
const SASL_FROM_SECRETS = {
  KAFKA_SASL_USERNAME_FILE: secretFile("kafka-sasl-username"),
  KAFKA_SASL_PASSWORD_FILE: secretFile("kafka-sasl-password"),
};

/** The connection settings of each overlay. Host names are examples: replace them. */
export const CONNECTIONS = {
  /** Strimzi in the cluster (SCRAM-SHA-512 on its TLS listener); stores as in-cluster services. */
  local: {
    kedaSasl: "scram_sha512",
    settings: {
      KAFKA_BROKERS: `crypto-kafka-kafka-bootstrap.${NAMESPACE}.svc:9093`,
      KAFKA_TLS: "true",
      KAFKA_TLS_CA_FILE: secretFile("kafka-ca.crt"),
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      KAFKA_SASL_USERNAME: "crypto-pipeline",
      KAFKA_SASL_PASSWORD_FILE: secretFile("kafka-sasl-password"),
      CLICKHOUSE_URL: "http://clickhouse:8123",
      CLICKHOUSE_USER: "pipeline",
      ...STORES_FROM_SECRETS,
    },
  },
  /** Amazon MSK (SASL/SCRAM on 9096), RDS, ClickHouse Cloud on AWS, ElastiCache with TLS. */
  aws: {
    kedaSasl: "scram_sha512",
    settings: {
      KAFKA_BROKERS: "b-1.crypto.abc123.c2.kafka.eu-west-1.amazonaws.com:9096," +
        "b-2.crypto.abc123.c2.kafka.eu-west-1.amazonaws.com:9096",
      KAFKA_TLS: "true",
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      ...SASL_FROM_SECRETS,
      POSTGRES_SSL: "verify-full",
      POSTGRES_CA_FILE: secretFile("postgres-ca.pem"),
      CLICKHOUSE_URL: "https://abc123.eu-west-1.aws.clickhouse.cloud:8443",
      CLICKHOUSE_USER: "default",
      ...STORES_FROM_SECRETS,
    },
  },
  /** Google Cloud Managed Service for Apache Kafka (SASL PLAIN over TLS), Cloud SQL, Memorystore. */
  gcp: {
    kedaSasl: "plaintext",
    settings: {
      KAFKA_BROKERS: "bootstrap.crypto.europe-west1.managedkafka.my-project.cloud.goog:9092",
      KAFKA_TLS: "true",
      KAFKA_SASL_MECHANISM: "plain",
      ...SASL_FROM_SECRETS,
      POSTGRES_SSL: "verify-full",
      POSTGRES_CA_FILE: secretFile("postgres-ca.pem"),
      CLICKHOUSE_URL: "https://abc123.europe-west4.gcp.clickhouse.cloud:8443",
      CLICKHOUSE_USER: "default",
      REDIS_CA_FILE: secretFile("redis-ca.pem"),
      ...STORES_FROM_SECRETS,
    },
  },
  /** Azure Event Hubs' Kafka endpoint ($ConnectionString over SASL PLAIN), Flexible Server, Azure Cache. */
  azure: {
    kedaSasl: "plaintext",
    settings: {
      KAFKA_BROKERS: "crypto-ns.servicebus.windows.net:9093",
      KAFKA_TLS: "true",
      KAFKA_SASL_MECHANISM: "plain",
      ...SASL_FROM_SECRETS,
      POSTGRES_SSL: "verify-full",
      CLICKHOUSE_URL: "https://abc123.westeurope.azure.clickhouse.cloud:8443",
      CLICKHOUSE_USER: "default",
      ...STORES_FROM_SECRETS,
    },
  },
} as const satisfies Record<string, Connection>;

export type Environment = keyof typeof CONNECTIONS;
export const ENVIRONMENTS = Object.keys(CONNECTIONS) as Environment[];
