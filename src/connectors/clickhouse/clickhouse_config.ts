/**
 * Configuration of the ClickHouse store, separate from the running store. The config loader
 * reads `CLICKHOUSE_URL` (and optional `CLICKHOUSE_*` settings) and passes them here.
 * @module
 */
import type { Logger } from "../../logger.ts";
import type { Registry } from "../../telemetry/metrics.ts";
import { OptionsError } from "../options_error.ts";
import { shownUrl } from "../redact_url.ts";

/** Options of {@linkcode ClickHouseStore}. */
export interface ClickHouseStoreOptions {
  /** HTTP URL, e.g. `http://127.0.0.1:8123` (env `CLICKHOUSE_URL`). Required. */
  url: string;
  /** Database holding the tables; created by `migrate()` (env `CLICKHOUSE_DATABASE`). Default `crypto`. */
  database?: string;
  /** User; a user in the URL wins (the client reads it from there). */
  username?: string;
  password?: string;
  /** PEM CA bundle verifying an https:// server (ClickHouse Cloud needs none: public CAs). */
  caCert?: string;
  /** Per-request timeout in ms; a stalled server fails the write as `timeout`. Default 30000. */
  requestTimeoutMs?: number;
  /** Concurrent HTTP connections. Default 4. */
  maxConnections?: number;
  /** Also create and accept writes into the raw `ticks` table. Default false. */
  ticks?: boolean;
  registry?: Registry;
  logger?: Logger;
}

/** The validated, defaulted form of {@linkcode ClickHouseStoreOptions}. */
export interface ClickHouseStoreConfig {
  readonly url: string;
  readonly database: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly caCert: string | undefined;
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
  readonly ticks: boolean;
}

/** Thrown when options are invalid; lists every problem at once. */
export class ClickHouseConfigError extends OptionsError {
  constructor(problems: readonly string[]) {
    super("ClickHouse store", problems);
  }
}

const KNOWN = new Set([
  "url",
  "database",
  "username",
  "password",
  "caCert",
  "requestTimeoutMs",
  "maxConnections",
  "ticks",
  "registry",
  "logger",
]);

/** Validates and defaults options; throws {@linkcode ClickHouseConfigError} listing every problem. */
export function resolveClickHouseConfig(options: ClickHouseStoreOptions): ClickHouseStoreConfig {
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) problems.push(`unknown option "${key}"`);
  }
  if (typeof options.url !== "string" || !/^https?:\/\//.test(options.url)) {
    problems.push(`url must be an http(s):// URL, received ${shownUrl(options.url)}`);
  }
  if (options.caCert !== undefined && !/^https:\/\//i.test(options.url ?? "")) {
    problems.push("a CA certificate (caCert) is only used with an https:// url");
  }
  const database = options.database ?? "crypto";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    problems.push(`database must be a plain identifier, received ${JSON.stringify(database)}`);
  }
  const int = (name: string, v: number | undefined, def: number) => {
    const value = v ?? def;
    if (!Number.isInteger(value) || value < 1) {
      problems.push(`${name} must be a positive integer, received ${v}`);
    }
    return value;
  };
  const config: ClickHouseStoreConfig = Object.freeze({
    url: options.url,
    database,
    username: options.username,
    password: options.password,
    caCert: options.caCert,
    requestTimeoutMs: int("requestTimeoutMs", options.requestTimeoutMs, 30_000),
    maxConnections: int("maxConnections", options.maxConnections, 4),
    ticks: options.ticks ?? false,
  });
  if (problems.length) throw new ClickHouseConfigError(problems);
  return config;
}
