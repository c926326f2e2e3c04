/**
 * Availability and network policy per role: a PodDisruptionBudget each (a drain takes at most one
 * pod of a role at a time), and NetworkPolicies that let a role reach only what it uses — DNS,
 * Kafka, and its stores — and let only the monitoring namespace scrape it.
 * @module
 */
import type { INetworkPolicyPort } from "kubernetes-models/networking.k8s.io/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import {
  HTTP_PORT,
  labels,
  MONITORING_NAMESPACE,
  NAMESPACE,
  type Role,
  selector,
} from "./settings.ts";

/**
 * Ports of what each role connects to. Managed services live outside the cluster at addresses
 * that change, so egress is allowed by port to any address; an overlay that knows its CIDRs (or a
 * CNI with DNS-aware policies) can narrow it.
 */
export const EGRESS_PORTS = {
  /** Plaintext, TLS, MSK SASL/SCRAM (9096) and Event Hubs / Confluent (9092-9093). */
  kafka: [9092, 9093, 9094, 9096],
  postgres: [5432],
  /** HTTP, HTTPS (ClickHouse Cloud: 8443). */
  clickhouse: [8123, 8443],
  /** Plaintext and ElastiCache TLS (6379), Memorystore TLS (6378), Azure Cache TLS (6380). */
  redis: [6378, 6379, 6380],
} as const;

const USES: Record<Role, readonly (keyof typeof EGRESS_PORTS)[]> = {
  ingest: ["kafka"],
  process: ["kafka", "clickhouse", "redis", "postgres"],
  archive: ["kafka", "postgres"],
};

/** The budget of `role`: one pod of it may be down for a drain, never more. */
export function disruptionBudget(role: Role): PodDisruptionBudget {
  return new PodDisruptionBudget({
    metadata: { name: `crypto-${role}`, namespace: NAMESPACE, labels: labels(role) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selector(role) } },
  });
}

const tcp = (ports: readonly number[]): INetworkPolicyPort[] =>
  ports.map((port) => ({ protocol: "TCP", port }));

/** The policy of `role`: only the egress it needs, ingress only for scraping. */
export function networkPolicy(role: Role): NetworkPolicy {
  return new NetworkPolicy({
    metadata: { name: `crypto-${role}`, namespace: NAMESPACE, labels: labels(role) },
    spec: {
      podSelector: { matchLabels: selector(role) },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{
        from: [{
          namespaceSelector: {
            matchLabels: { "kubernetes.io/metadata.name": MONITORING_NAMESPACE },
          },
        }],
        ports: tcp([HTTP_PORT]),
      }],
      egress: [
        {
          to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
          ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
        },
        { ports: tcp(USES[role].flatMap((use) => EGRESS_PORTS[use])) },
        ...(role === "ingest"
          ? [{ ports: tcp([443]) }] // the live feeds (Coinbase, Binance, Kraken, CoinCap)
          : role === "process"
          ? [{ ports: tcp([443]) }] // the alert webhook (Slack)
          : []),
      ],
    },
  });
}
