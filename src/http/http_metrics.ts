/**
 * The HTTP server's metrics: open connections, connections the server gave up on by reason, and
 * responses by status class. Every label value is exported from the start (at 0), so a dashboard
 * rate shows 0 rather than no data until the first rejection.
 * @module
 */
import { counter, gauge, onCollect, type Registry } from "../telemetry/metrics.ts";
import { type Http1Observer, REJECT_REASONS, type RejectReason } from "./http1_server.ts";

// A Response cannot carry a status below 200.
const STATUS_CLASSES = ["2xx", "3xx", "4xx", "5xx"] as const;

/** Metrics of one server; `connections` is read at scrape time. */
export interface HttpMetrics {
  readonly observer: Http1Observer;
  /** Starts publishing `pipeline_http_connections` from `connections`. */
  watch(connections: () => number): void;
  /** Stops publishing the gauge (the server closed). */
  unwatch(): void;
}

/** Creates (or reuses) the HTTP metrics in `registry`. */
export function httpMetrics(registry: Registry): HttpMetrics {
  const open = gauge(registry, {
    name: "pipeline_http_connections",
    help: "HTTP connections being served",
  });
  const rejected = counter(registry, {
    name: "pipeline_http_connections_rejected_total",
    help: "HTTP connections the server refused or gave up on, by reason",
    labelNames: ["reason"],
  });
  const responses = counter(registry, {
    name: "pipeline_http_responses_total",
    help: "HTTP responses by status class",
    labelNames: ["status"],
  });
  const byReason = new Map(REJECT_REASONS.map((r) => [r, rejected.labels(r)]));
  const byClass = STATUS_CLASSES.map((c) => responses.labels(c));
  for (const child of [...byReason.values(), ...byClass]) child.inc(0);
  open.set(0);
  let stop: (() => void) | null = null;
  return {
    observer: {
      rejected: (reason: RejectReason) => byReason.get(reason)!.inc(),
      responded: (status: number) =>
        byClass[Math.min(3, Math.max(0, Math.floor(status / 100) - 2))].inc(),
    },
    watch(connections) {
      stop?.();
      stop = onCollect(registry, () => open.set(connections()));
    },
    unwatch() {
      stop?.();
      stop = null;
      open.set(0);
    },
  };
}
