/**
 * Configuration of the Redis store, separate from the running store. The config loader reads
 * `REDIS_URL` (and optional `REDIS_*` settings) and passes them here.
 * @module
 */
import type { Logger } from "../../logger.ts";
import type { Registry } from "../../telemetry/metrics.ts";
import { OptionsError } from "../options_error.ts";
import { shownUrl } from "../redact_url.ts";

/** Options of {@linkcode RedisStore}. */
export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://` for TLS (env `REDIS_URL`). Required. */
  url: string;
  /** Prefix of every key and of the channel (env `REDIS_KEY_PREFIX`). Default `crypto:`. */
  keyPrefix?: string;
  /** PEM CA bundle verifying a `rediss://` server (env `REDIS_CA_FILE`). Default: system CAs. */
  caCert?: string;
  /** TTL of the latest-price hashes, seconds. Default 3600. */
  priceTtlSeconds?: number;
  /** TTL of the latest-candle hashes, seconds. Default 86400. */
  candleTtlSeconds?: number;
  /** How long an alert id is remembered to de-duplicate replays, seconds. Default 86400. */
  alertDedupTtlSeconds?: number;
  /** Length of the capped recent-alerts list. Default 1000. */
  alertListLength?: number;
  /** Per-command timeout, ms. Default 5000. */
  commandTimeoutMs?: number;
  /** Connect timeout, ms. Default 5000. */
  connectTimeoutMs?: number;
  registry?: Registry;
  logger?: Logger;
}

/** The validated, defaulted form of {@linkcode RedisStoreOptions}. */
export interface RedisStoreConfig {
  readonly url: string;
  readonly keyPrefix: string;
  /** True for a `rediss://` URL, whatever its letter case. */
  readonly tls: boolean;
  readonly caCert: string | undefined;
  readonly priceTtlSeconds: number;
  readonly candleTtlSeconds: number;
  readonly alertDedupTtlSeconds: number;
  readonly alertListLength: number;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

/** Thrown when options are invalid; lists every problem at once. */
export class RedisConfigError extends OptionsError {
  constructor(problems: readonly string[]) {
    super("Redis store", problems);
  }
}

const DEFAULTS = {
  priceTtlSeconds: 3600,
  candleTtlSeconds: 86_400,
  alertDedupTtlSeconds: 86_400,
  alertListLength: 1000,
  commandTimeoutMs: 5000,
  connectTimeoutMs: 5000,
} as const;

/** Validates and defaults options; throws {@linkcode RedisConfigError} listing every problem. */
export function resolveRedisConfig(options: RedisStoreOptions): RedisStoreConfig {
  const problems: string[] = [];
  const known = new Set([
    "url",
    "keyPrefix",
    "caCert",
    "registry",
    "logger",
    ...Object.keys(DEFAULTS),
  ]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) problems.push(`unknown option "${key}"`);
  }
  if (typeof options.url !== "string" || !/^rediss?:\/\//.test(options.url)) {
    problems.push(
      `url must be a redis:// or rediss:// URL, received ${shownUrl(options.url)}`,
    );
  }
  const ints = {} as Record<keyof typeof DEFAULTS, number>;
  for (const [name, def] of Object.entries(DEFAULTS) as [keyof typeof DEFAULTS, number][]) {
    const v = options[name] ?? def;
    if (!Number.isInteger(v) || v < 1) {
      problems.push(`${name} must be a positive integer, received ${options[name]}`);
    }
    ints[name] = v;
  }
  const keyPrefix = options.keyPrefix ?? "crypto:";
  if (typeof keyPrefix !== "string") problems.push("keyPrefix must be a string");
  const tls = /^rediss:\/\//i.test(options.url ?? "");
  if (options.caCert !== undefined && !tls) {
    problems.push("a CA certificate (caCert) is only used with a rediss:// url");
  }
  if (problems.length) throw new RedisConfigError(problems);
  return Object.freeze({ url: options.url, keyPrefix, tls, caCert: options.caCert, ...ints });
}
