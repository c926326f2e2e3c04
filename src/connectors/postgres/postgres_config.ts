/**
 * Configuration of the PostgreSQL store, separate from the running store. The config loader reads
 * `DATABASE_URL` (and optional `POSTGRES_*` settings) and passes them here; nothing in this folder
 * reads the environment.
 * @module
 */
import type { Logger } from "../../logger.ts";
import type { Registry } from "../../telemetry/metrics.ts";
import { OptionsError } from "../options_error.ts";
import { shownUrl } from "../redact_url.ts";

/** TLS: `false` (off), `"prefer"`, `"require"`, `"verify-full"`, or Node `tls.connect` options. */
export type PostgresSsl =
  | boolean
  | "prefer"
  | "require"
  | "allow"
  | "verify-full"
  | Record<string, unknown>;

/** Options of {@linkcode PostgresStore}. */
export interface PostgresStoreOptions {
  /** Connection URL, e.g. `postgres://user@127.0.0.1:5432/db` (env `DATABASE_URL`). Required. */
  url: string;
  /** Schema holding the tables; created by `migrate()`. Default `public`. */
  schema?: string;
  /** Pool size (env `POSTGRES_POOL_SIZE`). Default 4. */
  poolSize?: number;
  /** Server-side `statement_timeout` in ms (env `POSTGRES_STATEMENT_TIMEOUT_MS`). Default 30000. */
  statementTimeoutMs?: number;
  /** Connect timeout in ms. Default 10000. */
  connectTimeoutMs?: number;
  /**
   * Client-side bound on one write, in ms, covering a stalled network that the server-side
   * statement timeout cannot see; the write is cancelled and fails with a retriable `timeout`
   * error. Default: statementTimeoutMs + connectTimeoutMs.
   */
  writeTimeoutMs?: number;
  /** TLS (env `POSTGRES_SSL`). Default: whatever the URL's `sslmode` says, else off. */
  ssl?: PostgresSsl;
  /** Registry for `pipeline_sink_*` metrics; none means no metrics. */
  registry?: Registry;
  logger?: Logger;
}

/** The validated, defaulted form of {@linkcode PostgresStoreOptions}. */
export interface PostgresStoreConfig {
  readonly url: string;
  readonly schema: string;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly ssl: PostgresSsl | undefined;
}

/** Thrown when options are invalid; lists every problem at once. */
export class PostgresConfigError extends OptionsError {
  constructor(problems: readonly string[]) {
    super("PostgreSQL store", problems);
  }
}

const KNOWN = new Set([
  "url",
  "schema",
  "poolSize",
  "statementTimeoutMs",
  "connectTimeoutMs",
  "writeTimeoutMs",
  "ssl",
  "registry",
  "logger",
]);

/** A plain SQL identifier: what `schema` may be (it is interpolated, quoted, into DDL). */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Validates and defaults options; throws {@linkcode PostgresConfigError} listing every problem. */
export function resolvePostgresConfig(options: PostgresStoreOptions): PostgresStoreConfig {
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) problems.push(`unknown option "${key}"`);
  }
  if (typeof options.url !== "string" || !/^postgres(ql)?:\/\//.test(options.url)) {
    problems.push(`url must be a postgres:// URL, received ${shownUrl(options.url)}`);
  }
  const schema = options.schema ?? "public";
  if (!IDENTIFIER.test(schema)) {
    problems.push(`schema must match ${IDENTIFIER}, received ${JSON.stringify(schema)}`);
  }
  const int = (name: string, v: number | undefined, def: number, min: number) => {
    const value = v ?? def;
    if (!Number.isInteger(value) || value < min) {
      problems.push(`${name} must be an integer ≥ ${min}, received ${v}`);
    }
    return value;
  };
  const statementTimeoutMs = int("statementTimeoutMs", options.statementTimeoutMs, 30_000, 0);
  const connectTimeoutMs = int("connectTimeoutMs", options.connectTimeoutMs, 10_000, 1);
  const config: PostgresStoreConfig = Object.freeze({
    url: options.url,
    schema,
    poolSize: int("poolSize", options.poolSize, 4, 1),
    statementTimeoutMs,
    connectTimeoutMs,
    writeTimeoutMs: int(
      "writeTimeoutMs",
      options.writeTimeoutMs,
      (statementTimeoutMs || 30_000) + connectTimeoutMs,
      1,
    ),
    ssl: options.ssl,
  });
  if (problems.length) throw new PostgresConfigError(problems);
  return config;
}
