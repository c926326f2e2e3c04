/**
 * Metrics of the dashboard's event streams (`pipeline_dashboard_*`, docs/metrics.md).
 * @module
 */
import { counter, gauge, type Registry } from "../telemetry/metrics.ts";
import type { SseObserver } from "./sse_hub.ts";

/** An observer that counts into `registry`. */
export function sseMetrics(registry: Registry): SseObserver {
  const clients = gauge(registry, {
    name: "pipeline_dashboard_clients",
    help: "Dashboard browsers streaming live events now",
  });
  const dropped = counter(registry, {
    name: "pipeline_dashboard_clients_dropped_total",
    help: "Dashboard streams ended because the browser fell behind its event buffer",
    labelNames: ["reason"],
  });
  const refused = counter(registry, {
    name: "pipeline_dashboard_clients_refused_total",
    help: "Dashboard streams refused at --dashboard-clients",
  });
  const events = counter(registry, {
    name: "pipeline_dashboard_events_total",
    help: "Events published to the dashboard's streams",
  });
  clients.set(0);
  dropped.inc({ reason: "slow" }, 0);
  return {
    clients: (n) => clients.set(n),
    dropped: (reason) => dropped.inc({ reason }),
    refused: () => refused.inc(),
    published: (n) => events.inc(n),
  };
}
