/**
 * Classifies postgres.js failures into retriable and fatal {@linkcode StoreError}s.
 * @module
 */
import { PipelineError } from "../../errors.ts";
import { isNetworkError, StoreError, type StoreErrorKind } from "../store_error.ts";

/** postgres.js's own connection-level error codes. */
const DRIVER_TRANSIENT = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/**
 * The kind of a PostgreSQL failure: SQLSTATE classes 08 (connection), 53 (resources), 57P
 * (server shutting down / starting), 58 (system), serialization failures, deadlocks and lock
 * timeouts are transient; 57014 (statement timeout) and connect timeouts are `timeout`; all else
 * (syntax 42, data 22, integrity 23, …) is fatal: the same batch would fail again.
 */
export function postgresErrorKind(err: unknown): StoreErrorKind {
  if (err instanceof WriteTimeoutError) return "timeout";
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    if (code === "57014" || code === "CONNECT_TIMEOUT") return "timeout";
    if (DRIVER_TRANSIENT.has(code)) return "transient";
    if (/^(08|53|57P|58)/.test(code) || ["40001", "40P01", "55P03"].includes(code)) {
      return "transient";
    }
  }
  return isNetworkError(err) ? "transient" : "fatal";
}

/** Wraps any failure of `operation` as a {@linkcode StoreError} of the right kind. */
export function toPostgresError(operation: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  return new StoreError("postgres", operation, postgresErrorKind(err), err);
}

/** A write that did not settle within the client-side `writeTimeoutMs`. */
export class WriteTimeoutError extends PipelineError {
  constructor(ms: number) {
    super(`write did not complete within ${ms} ms`, { retriable: true });
  }
}
