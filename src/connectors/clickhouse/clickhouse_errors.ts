/**
 * Classifies @clickhouse/client failures into retriable and fatal {@linkcode StoreError}s.
 * @module
 */
import { isNetworkError, StoreError, type StoreErrorKind } from "../store_error.ts";

/** Server error codes worth retrying: overload, memory, parts, read-only replica, network. */
const TRANSIENT_CODES = new Set([3, 202, 203, 210, 241, 242, 252, 285, 319, 425, 999]);
/** Server-side timeouts (TIMEOUT_EXCEEDED, SOCKET_TIMEOUT, …). */
const TIMEOUT_CODES = new Set([159, 160, 209]);

/** The server error code of `err` (`ClickHouseError.code`, or `Code: N` in older messages). */
export function clickHouseCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === "string" && /^\d+$/.test(e.code)) return Number(e.code);
  const m = typeof e?.message === "string" ? /^Code: (\d+)/.exec(e.message) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * The kind of a ClickHouse failure: socket errors and overload codes are transient, client and
 * server timeouts are `timeout`, everything else (syntax 62, unknown table 60, type errors …) fatal.
 */
export function clickHouseErrorKind(err: unknown): StoreErrorKind {
  const code = clickHouseCode(err);
  if (code !== undefined) {
    if (TIMEOUT_CODES.has(code)) return "timeout";
    return TRANSIENT_CODES.has(code) ? "transient" : "fatal";
  }
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message === "string" && /timeout/i.test(message)) return "timeout";
  if (isNetworkError(err)) return "transient";
  // An HTTP 5xx without a ClickHouse code (proxy, load balancer) is worth retrying.
  if (typeof message === "string" && /\b(502|503|504)\b/.test(message)) return "transient";
  return "fatal";
}

/** Wraps any failure of `operation` as a {@linkcode StoreError} of the right kind. */
export function toClickHouseError(operation: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  return new StoreError("clickhouse", operation, clickHouseErrorKind(err), err);
}
