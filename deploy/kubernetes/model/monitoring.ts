/**
 * The Prometheus Operator's PodMonitor: scrape every pipeline pod's /metrics on its named port.
 * A PodMonitor rather than a ServiceMonitor: the roles serve no traffic, so they have no Service
 * to hang one on. The Prometheus must select it (`podMonitorSelector`, often a `release` label).
 * @module
 */
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { APP, labels, NAMESPACE, PORT_NAME } from "./settings.ts";

/** The PodMonitor of all three roles, labelled by component like compose's `service`. */
export function podMonitor(): PodMonitor {
  return new PodMonitor({
    metadata: { name: APP, namespace: NAMESPACE, labels: labels() },
    spec: {
      selector: { matchLabels: { "app.kubernetes.io/name": APP } },
      podTargetLabels: ["app.kubernetes.io/component"],
      podMetricsEndpoints: [{ port: PORT_NAME, path: "/metrics", interval: "15s" }],
    },
  });
}
