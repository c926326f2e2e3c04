/**
 * Classifies ioredis failures into retriable and fatal {@linkcode StoreError}s.
 * @module
 */
import { isNetworkError, StoreError, type StoreErrorKind } from "../store_error.ts";

/** Server replies that mean "try again later". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|OOM|MOVED|ASK)\b/;
/** ioredis's own messages when the connection is down or reconnecting. */
const TRANSIENT_CLIENT =
  /Connection is closed|Stream isn't writeable|enableOfflineQueue|Reached the max retries|connect ETIMEDOUT|Connection timeout/i;

/**
 * The kind of a Redis failure: connection trouble and busy/loading/cluster-moving replies are
 * transient, command timeouts `timeout`, other replies (WRONGTYPE, ERR …) fatal.
 */
export function redisErrorKind(err: unknown): StoreErrorKind {
  const message = (err as { message?: unknown } | null)?.message;
  const text = typeof message === "string" ? message : "";
  if (/Command timed out/i.test(text)) return "timeout";
  if (TRANSIENT_REPLY.test(text) || TRANSIENT_CLIENT.test(text)) return "transient";
  if ((err as { name?: unknown } | null)?.name === "MaxRetriesPerRequestError") return "transient";
  return isNetworkError(err) ? "transient" : "fatal";
}

/** Wraps any failure of `operation` as a {@linkcode StoreError} of the right kind. */
export function toRedisError(operation: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  return new StoreError("redis", operation, redisErrorKind(err), err);
}
