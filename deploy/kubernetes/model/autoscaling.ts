/**
 * Scaling the process role: a KEDA ScaledObject on the consumer group's lag of `crypto.ticks`, with
 * a TriggerAuthentication carrying the same Kafka credentials the pipeline uses; and, for clusters
 * without KEDA, a CPU HorizontalPodAutoscaler (not applied by the overlays: two autoscalers must
 * never drive one Deployment).
 *
 * Reading `lagThreshold` today: the pipeline commits an offset only once no open window still needs
 * the records before it, so its committed offsets trail the newest records by about the longest
 * candle interval plus the late-update window (1 h + 60 s by default) even when it keeps up. KEDA's
 * lag therefore has a floor of roughly (ticks per second per partition) × 3660 per partition;
 * `lagThreshold` must sit above that floor or the role scales out while idle. Issue #19 makes the
 * committed offsets honest; then the threshold means what it says.
 * @module
 */
import { ScaledObject, TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import type { Connection } from "./config.ts";
import {
  labels,
  NAMESPACE,
  PROCESS_GROUP,
  SECRET,
  TICKS_PARTITIONS,
  TICKS_TOPIC,
} from "./settings.ts";

export const TRIGGER_AUTH = "crypto-pipeline-kafka";
const TARGET = "crypto-process";

/**
 * Lag per replica KEDA aims at: above the floor explained above for a feed of ~10 ticks/s per
 * partition (≈ 37 000), so an idle pipeline stays at its minimum. Recompute it for your rates.
 */
export const LAG_THRESHOLD = 50_000;

/** KEDA's ScaledObject for the process Deployment; `sasl` in KEDA's spelling. */
export function scaledObject(sasl: Connection["kedaSasl"]): ScaledObject {
  return new ScaledObject({
    metadata: { name: TARGET, namespace: NAMESPACE, labels: labels("process") },
    spec: {
      scaleTargetRef: { name: TARGET },
      minReplicaCount: 1,
      // More members than partitions would sit idle.
      maxReplicaCount: TICKS_PARTITIONS,
      pollingInterval: 30,
      cooldownPeriod: 300,
      // When the lag cannot be read (Kafka unreachable, bad credentials), hold 2 replicas.
      fallback: { failureThreshold: 3, replicas: 2 },
      advanced: {
        horizontalPodAutoscalerConfig: {
          // Every membership change costs a rebalance (about the session timeout) and a replay
          // from the committed offsets: scale in slowly, one pod at a time.
          behavior: {
            scaleDown: {
              stabilizationWindowSeconds: 600,
              policies: [{ type: "Pods", value: 1, periodSeconds: 300 }],
            },
          },
        },
      },
      triggers: [{
        type: "kafka",
        metadata: {
          // Read from the process container's environment (the ConfigMap): one source of truth.
          bootstrapServersFromEnv: "KAFKA_BROKERS",
          consumerGroup: PROCESS_GROUP,
          topic: TICKS_TOPIC,
          lagThreshold: String(LAG_THRESHOLD),
          activationLagThreshold: "0",
          // The group starts at the beginning of the log (kafka_consumer.ts: fromBeginning).
          offsetResetPolicy: "earliest",
          allowIdleConsumers: "false",
          tls: "enable",
          sasl,
        },
        authenticationRef: { name: TRIGGER_AUTH },
      }],
    },
  });
}

/** Where KEDA finds the Kafka credentials: parameter → secret and key. */
export type AuthRefs = readonly { parameter: string; name: string; key: string }[];

/** The Secret keys the cloud overlays keep the credentials under (config.ts's files). */
export const CLOUD_AUTH: AuthRefs = [
  { parameter: "username", name: SECRET, key: "kafka-sasl-username" },
  { parameter: "password", name: SECRET, key: "kafka-sasl-password" },
];

/** KEDA's TriggerAuthentication; `env` parameters come from the process container's environment. */
export function triggerAuthentication(
  refs: AuthRefs = CLOUD_AUTH,
  env: readonly { parameter: string; name: string }[] = [],
): TriggerAuthentication {
  return new TriggerAuthentication({
    metadata: { name: TRIGGER_AUTH, namespace: NAMESPACE, labels: labels("process") },
    spec: {
      secretTargetRef: refs.map((r) => ({ ...r })),
      ...(env.length ? { env: env.map((e) => ({ ...e, containerName: "pipeline" })) } : {}),
    },
  });
}

/** The fallback without KEDA: CPU-based, same bounds and the same slow scale-in. */
export function cpuAutoscaler(): HorizontalPodAutoscaler {
  return new HorizontalPodAutoscaler({
    metadata: { name: TARGET, namespace: NAMESPACE, labels: labels("process") },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: TARGET },
      minReplicas: 1,
      maxReplicas: TICKS_PARTITIONS,
      metrics: [{
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
      }],
      behavior: {
        scaleDown: {
          stabilizationWindowSeconds: 600,
          policies: [{ type: "Pods", value: 1, periodSeconds: 300 }],
        },
      },
    },
  });
}
