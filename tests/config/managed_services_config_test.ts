/**
 * Issue #15: the options for managed services — Kafka SASL and TLS, ClickHouse over HTTPS with a
 * user and password, Redis over TLS, PostgreSQL's CA — checked with every other setting in one
 * report, and handed to the connectors as they expect them.
 * @module
 */
import assert from "node:assert/strict";
import {
  clickhouseOptions,
  kafkaOptions,
  postgresOptions,
  redisOptions,
} from "../../src/config/connector_options.ts";
import { loadConfig } from "../../src/config/load_config.ts";
import type { PipelineConfig } from "../../src/config/pipeline_config.ts";
import { parseKafkaConfig } from "../../src/connectors/kafka/kafka_config.ts";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n";
const FILES: Record<string, string> = {
  "/tls/ca.pem": CERT,
  "/tls/client.pem": CERT,
  "/tls/client.key": KEY,
  "/tls/not-pem.txt": "hello",
  "/secrets/password": "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=abc=\n",
};
const readFile = (path: string) => {
  if (!(path in FILES)) throw new Deno.errors.NotFound(`No such file: ${path}`);
  return FILES[path];
};

function load(env: Record<string, string>, args: string[] = []) {
  return loadConfig({ args: ["--sqlite=", ...args], env: (n) => env[n], readFile });
}

function ok(env: Record<string, string>, args: string[] = []): PipelineConfig {
  const r = load(env, args);
  assert.equal(r.kind, "ok", JSON.stringify(r));
  return (r as { config: PipelineConfig }).config;
}

function errors(env: Record<string, string>, args: string[] = []): string[] {
  const r = load(env, args);
  assert.equal(r.kind, "error", "expected configuration errors");
  return r.kind === "error" ? [...r.errors] : [];
}

Deno.test("loadConfig() builds Kafka SASL over TLS (Event Hubs) with the password from a file", () => {
  const config = ok({
    KAFKA_BROKERS: "ns.servicebus.windows.net:9093",
    KAFKA_TLS: "true",
    KAFKA_SASL_MECHANISM: "PLAIN",
    KAFKA_SASL_USERNAME: "$ConnectionString",
    KAFKA_SASL_PASSWORD_FILE: "/secrets/password",
  });
  assert.deepEqual(config.kafka.sasl, {
    mechanism: "plain",
    username: "$ConnectionString",
    password: "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=abc=",
  });
  assert.deepEqual(config.kafka.tls, { ca: null, cert: null, key: null, rejectUnauthorized: true });
  const kafka = parseKafkaConfig(kafkaOptions(config));
  assert.deepEqual(kafka.ssl, { rejectUnauthorized: true });
  assert.equal(kafka.sasl?.mechanism, "plain");
  assert.deepEqual(config.files, ["/secrets/password"]);
});

Deno.test("loadConfig() reads the Kafka CA, client certificate and key (mutual TLS, SCRAM)", () => {
  const config = ok({
    KAFKA_BROKERS: "b-1.msk:9096,b-2.msk:9096",
    KAFKA_TLS: "1",
    KAFKA_TLS_CA_FILE: "/tls/ca.pem",
    KAFKA_TLS_CERT_FILE: "/tls/client.pem",
    KAFKA_TLS_KEY_FILE: "/tls/client.key",
    KAFKA_SASL_MECHANISM: "scram-sha-512",
    KAFKA_SASL_USERNAME: "app",
    KAFKA_SASL_PASSWORD: "pw",
  });
  assert.deepEqual(config.kafka.tls, { ca: CERT, cert: CERT, key: KEY, rejectUnauthorized: true });
  assert.deepEqual(parseKafkaConfig(kafkaOptions(config)).ssl, {
    ca: CERT,
    cert: CERT,
    key: KEY,
    rejectUnauthorized: true,
  });
  assert.deepEqual(config.files, ["/tls/ca.pem", "/tls/client.pem", "/tls/client.key"]);
  const lax = ok({ KAFKA_BROKERS: "b:9093", KAFKA_TLS: "true" }, [
    "--no-kafka-tls-reject-unauthorized",
  ]);
  assert.equal(lax.kafka.tls?.rejectUnauthorized, false);
  const plain = ok({ KAFKA_BROKERS: "b:9092" });
  assert.deepEqual([plain.kafka.tls, plain.kafka.sasl], [null, null]);
  assert.equal(parseKafkaConfig(kafkaOptions(plain)).ssl, false);
});

Deno.test("loadConfig() reports every SASL and TLS mistake at once, secrets unechoed", () => {
  const found = errors({
    KAFKA_BROKERS: "b:9093",
    KAFKA_SASL_MECHANISM: "scram-sha-1",
    KAFKA_TLS_CA_FILE: "/tls/ca.pem",
    KAFKA_TLS_CERT_FILE: "/tls/client.pem",
    KAFKA_TLS_REJECT_UNAUTHORIZED: "false",
    KAFKA_SASL_PASSWORD: "hunter2",
    PARTITIONS: "0",
  });
  assert.deepEqual(found, [
    "invalid PARTITIONS: expected 1..1024, received 0",
    'invalid KAFKA_SASL_MECHANISM: expected one of plain, scram-sha-256, scram-sha-512, received "scram-sha-1"',
    "KAFKA_TLS_CA_FILE needs --kafka-tls (KAFKA_TLS=true)",
    "KAFKA_TLS_CERT_FILE needs --kafka-tls (KAFKA_TLS=true)",
    "KAFKA_TLS_REJECT_UNAUTHORIZED needs --kafka-tls (KAFKA_TLS=true)",
    "--kafka-tls-cert-file and --kafka-tls-key-file go together (a client certificate and its key)",
  ]);
  assert.deepEqual(errors({ KAFKA_BROKERS: "b:9093", KAFKA_SASL_MECHANISM: "plain" }), [
    "--kafka-sasl-mechanism plain needs KAFKA_SASL_USERNAME (or KAFKA_SASL_USERNAME_FILE) and " +
    "KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)",
  ]);
  assert.deepEqual(errors({ KAFKA_BROKERS: "b:9093", KAFKA_SASL_USERNAME: "app" }), [
    "KAFKA_SASL_USERNAME is set but --kafka-sasl-mechanism (KAFKA_SASL_MECHANISM) is not: " +
    "say which of plain, scram-sha-256, scram-sha-512",
  ]);
});

Deno.test("loadConfig() reads TLS files once: missing or not PEM is a configuration error", () => {
  assert.deepEqual(
    errors({
      KAFKA_BROKERS: "b:9093",
      KAFKA_TLS: "true",
      KAFKA_TLS_CA_FILE: "/tls/not-pem.txt",
      KAFKA_TLS_CERT_FILE: "/tls/client.pem",
      KAFKA_TLS_KEY_FILE: "/tls/ca.pem",
      REDIS_URL: "rediss://cache:6380",
      REDIS_CA_FILE: "/tls/gone.pem",
    }),
    [
      'invalid KAFKA_TLS_CA_FILE: "/tls/not-pem.txt" holds no PEM certificate',
      'invalid KAFKA_TLS_KEY_FILE: "/tls/ca.pem" holds no PEM key',
      'invalid REDIS_CA_FILE: cannot read "/tls/gone.pem" (No such file: /tls/gone.pem)',
    ],
  );
});

Deno.test("loadConfig() takes ClickHouse credentials apart from an https:// URL, with a CA", () => {
  const config = ok({
    CLICKHOUSE_URL: "https://abc.eu-west-1.aws.clickhouse.cloud:8443",
    CLICKHOUSE_USER: "default",
    CLICKHOUSE_PASSWORD_FILE: "/secrets/password",
    CLICKHOUSE_CA_FILE: "/tls/ca.pem",
  });
  const options = clickhouseOptions(config);
  assert.equal(options.username, "default");
  assert.match(options.password ?? "", /^Endpoint=/);
  assert.equal(options.caCert, CERT);
  const same = ok({
    CLICKHOUSE_URL: "http://pipeline:change-me@localhost:8123/pipeline",
    CLICKHOUSE_USER: "pipeline",
    CLICKHOUSE_PASSWORD: "change-me",
  });
  assert.equal(clickhouseOptions(same).username, "pipeline", ".env.example: the same user twice");
  assert.deepEqual(
    errors({
      CLICKHOUSE_URL: "http://app:s3cret@ch:8123",
      CLICKHOUSE_USER: "other",
      CLICKHOUSE_PASSWORD: "t0psecret",
      CLICKHOUSE_CA_FILE: "/tls/ca.pem",
    }),
    [
      'CLICKHOUSE_USER "other" differs from the user in CLICKHOUSE_URL "app": give it once',
      "CLICKHOUSE_PASSWORD differs from the password in CLICKHOUSE_URL: give it once",
      "invalid --clickhouse-url: a CA certificate (caCert) is only used with an https:// url",
    ],
  );
});

Deno.test("loadConfig() hands Redis and PostgreSQL their CA bundles, only where TLS is on", () => {
  const config = ok({
    REDIS_URL: "rediss://:pw@cache:6380",
    REDIS_CA_FILE: "/tls/ca.pem",
    DATABASE_URL: "postgres://app@db:5432/x",
    POSTGRES_SSL: "verify-full",
    POSTGRES_CA_FILE: "/tls/ca.pem",
  });
  assert.equal(redisOptions(config).caCert, CERT);
  assert.deepEqual(postgresOptions(config).ssl, { ca: CERT, rejectUnauthorized: true });
  const system = ok({ DATABASE_URL: "postgres://app@db:5432/x", POSTGRES_SSL: "verify-full" });
  assert.equal(postgresOptions(system).ssl, "verify-full", "the system's CAs");
  assert.deepEqual(
    errors({
      REDIS_URL: "redis://cache:6379",
      REDIS_CA_FILE: "/tls/ca.pem",
      DATABASE_URL: "postgres://app@db:5432/x",
      POSTGRES_SSL: "require",
      POSTGRES_CA_FILE: "/tls/ca.pem",
    }),
    [
      "POSTGRES_CA_FILE is only used with --postgres-ssl verify-full (POSTGRES_SSL): set it, " +
      "or drop the CA file",
      "invalid --redis-url: a CA certificate (caCert) is only used with a rediss:// url",
    ],
  );
});
