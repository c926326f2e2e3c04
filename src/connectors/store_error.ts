/**
 * The one error type the store connectors throw, so a sink actor decides retry or dead-letter from
 * `retriable` alone, whatever the store.
 * @module
 */
import { PipelineError } from "../errors.ts";

/** How a write failed, as counted by `pipeline_sink_errors_total{kind}`. */
export type StoreErrorKind = "transient" | "fatal" | "timeout";

/**
 * A failed store operation. `retriable` is true for transient network failures, timeouts and
 * overload (retrying the same batch later can succeed); false for errors the same batch will
 * always hit again (SQL syntax, constraint or data errors), which belong in dead letters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StoreError } from "./store_error.ts";
 * const err = new StoreError("postgres", "write ticks", "transient", new Error("ECONNRESET"));
 * assert.equal(err.retriable, true);
 * ```
 */
export class StoreError extends PipelineError {
  /** The store, e.g. `postgres`. */
  readonly store: string;
  readonly kind: StoreErrorKind;

  constructor(store: string, operation: string, kind: StoreErrorKind, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`Cannot ${operation} in ${store} (${kind}): ${detail}`, {
      cause,
      retriable: kind !== "fatal",
    });
    this.store = store;
    this.kind = kind;
  }
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOTCONN",
  "ERR_SOCKET_CLOSED",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);
const NETWORK_NAMES = new Set([
  "ConnectionRefused",
  "ConnectionReset",
  "ConnectionAborted",
  "BrokenPipe",
  "TimedOut",
  "NotConnected",
  "Interrupted",
  "UnexpectedEof",
]);

/**
 * True when `err` (or an error in its `cause` chain) is a socket-level failure: refused, reset,
 * broken pipe, unreachable, DNS retry. These are always worth retrying.
 */
export function isNetworkError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; depth++) {
    if (typeof e !== "object") return false;
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
    if (typeof name === "string" && NETWORK_NAMES.has(name)) return true;
    if (typeof message === "string" && /socket hang up|ECONNRESET|ECONNREFUSED/.test(message)) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
