/**
 * The connection settings of `@platformatic/kafka` clients, built from a {@linkcode KafkaConfig}
 * the same way kafka_client.ts builds the kafkajs client: brokers, client id, TLS, SASL, timeouts
 * and retries. Producers, consumers and admin look-ups each open their own client from it.
 * @module
 */
import type { BaseOptions, SASLOptions } from "@platformatic/kafka";
import type { ConnectionOptions } from "node:tls";
import type { Logger } from "../../logger.ts";
import type { KafkaConfig } from "./kafka_config.ts";

/** Options of {@linkcode createPlatformaticClient}. */
export interface PlatformaticClientOptions {
  /** Where the connector's own logs go (the library logs nothing by itself). */
  logger: Logger;
  /** Retries of each request before it fails. Default 8, as for kafkajs; 0 fails at once. */
  retries?: number;
}

/** What every `@platformatic/kafka` client of one pipeline instance is built from. */
export class PlatformaticKafka {
  /** Connection options shared by producers, consumers and admins. */
  readonly base: Readonly<BaseOptions>;
  readonly logger: Logger;

  constructor(base: BaseOptions, logger: Logger) {
    this.base = Object.freeze(base);
    this.logger = logger;
  }

  /** `base` with another client id suffix, so brokers can tell the clients apart. */
  options(role: string): BaseOptions {
    return { ...this.base, clientId: `${this.base.clientId}-${role}` };
  }
}

const MECHANISM = {
  plain: "PLAIN",
  "scram-sha-256": "SCRAM-SHA-256",
  "scram-sha-512": "SCRAM-SHA-512",
} as const;

/**
 * Creates the settings of the `@platformatic/kafka` clients.
 *
 * Retries: 300 ms doubling up to 10 s between attempts, ×8, like the kafkajs client's retrier, so
 * a broker down for several seconds is ridden out.
 */
export function createPlatformaticClient(
  config: KafkaConfig,
  options: PlatformaticClientOptions,
): PlatformaticKafka {
  const tls = tlsOptions(config.ssl);
  const base: BaseOptions = {
    clientId: config.clientId,
    bootstrapBrokers: [...config.brokers],
    connectTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    timeout: config.requestTimeoutMs,
    retries: options.retries ?? 8,
    retryDelay: (_client, _op, attempt) => Math.min(10_000, 300 * 2 ** (attempt - 1)),
    ...(tls ? { tls } : {}),
    ...(config.sasl ? { sasl: saslOptions(config.sasl) } : {}),
  };
  return new PlatformaticKafka(base, options.logger.child("kafka"));
}

function saslOptions(sasl: NonNullable<KafkaConfig["sasl"]>): SASLOptions {
  return { mechanism: MECHANISM[sasl.mechanism], username: sasl.username, password: sasl.password };
}

/** Node `tls.connect` options, or none for plain TCP. */
function tlsOptions(ssl: KafkaConfig["ssl"]): ConnectionOptions | undefined {
  if (ssl === false) return undefined;
  if (ssl === true) return { rejectUnauthorized: true };
  return {
    ...(ssl.ca === undefined ? {} : { ca: [ssl.ca] }),
    ...(ssl.cert === undefined ? {} : { cert: ssl.cert }),
    ...(ssl.key === undefined ? {} : { key: ssl.key }),
    rejectUnauthorized: ssl.rejectUnauthorized ?? true,
  };
}
