/**
 * One REST request with a timeout on the injected clock, its latency recorded, and its outcome
 * classified the way every poller reacts to it (ok, unauthorized, rate limited, server error, …),
 * including the `Retry-After` delay.
 * @module
 */
import { parseRetryAfter } from "../connectors/retry_after.ts";
import type { Clock } from "../clock.ts";
import type { FeedMetrics } from "./feed_metrics.ts";

/** What a request came to. `retryAfterMs` is set when the server sent a usable `Retry-After`. */
export type HttpOutcome =
  | { kind: "ok"; status: number; body: string }
  | { kind: "unauthorized"; status: number; body: string }
  | { kind: "rate_limited"; status: number; retryAfterMs?: number }
  | { kind: "server_error"; status: number; retryAfterMs?: number }
  | { kind: "client_error"; status: number; body: string }
  | { kind: "network"; error: string }
  | { kind: "timeout" }
  | { kind: "aborted" };

/** Options of {@linkcode httpGet}. */
export interface HttpGetOptions {
  readonly clock: Clock;
  readonly metrics: FeedMetrics;
  readonly headers?: Record<string, string>;
  readonly timeoutMs: number;
  /** Longest `Retry-After` honoured, ms (a server asking for days is capped). */
  readonly maxRetryAfterMs: number;
  /** Response bodies beyond this many characters are cut (they only feed dead letters). */
  readonly maxBodyChars?: number;
}

/**
 * GETs `url`. Never throws: failures are outcomes. Every response counts as a feed message and
 * its latency is observed; errors are counted by kind (`http_401`, `http_429`, `http_5xx`, …).
 */
export async function httpGet(
  url: string,
  options: HttpGetOptions,
  signal: AbortSignal,
): Promise<HttpOutcome> {
  const { clock, metrics } = options;
  if (signal.aborted) return { kind: "aborted" };
  const timeout = new AbortController();
  const timer = clock.setTimeout(() => timeout.abort(new Error("timeout")), options.timeoutMs);
  const started = clock.monotonic();
  try {
    const res = await fetch(url, {
      headers: options.headers,
      signal: AbortSignal.any([signal, timeout.signal]),
    });
    const body = await res.text();
    metrics.request((clock.monotonic() - started) / 1000);
    metrics.message();
    const status = res.status;
    if (res.ok) return { kind: "ok", status, body: body };
    const retryAfterMs = parseRetryAfter(
      res.headers.get("retry-after"),
      clock.now(),
      options.maxRetryAfterMs,
    );
    if (status === 401 || status === 403) {
      metrics.error(`http_${status}`);
      return { kind: "unauthorized", status, body: cut(body, options.maxBodyChars) };
    }
    if (status === 429) {
      metrics.error("http_429");
      return { kind: "rate_limited", status, retryAfterMs };
    }
    if (status >= 500) {
      metrics.error("http_5xx");
      return { kind: "server_error", status, retryAfterMs };
    }
    metrics.error("http_4xx");
    return { kind: "client_error", status, body: cut(body, options.maxBodyChars) };
  } catch (e) {
    if (signal.aborted) return { kind: "aborted" };
    if (timeout.signal.aborted) {
      metrics.error("timeout");
      return { kind: "timeout" };
    }
    metrics.error("network");
    return { kind: "network", error: (e as Error).message };
  } finally {
    clock.clearTimeout(timer);
  }
}

function cut(body: string, max = 4096): string {
  return body.length > max ? body.slice(0, max) : body;
}
