/**
 * The three roles as Deployments: the same image and ConfigMap, the role and its sizes set per
 * Deployment, probes on /health (liveness) and /ready (readiness), a locked-down security context
 * and a termination grace period longer than the pipeline's own stop.
 * @module
 */
import { Deployment } from "kubernetes-models/apps/v1";
import type { IEnvVar, IVolume, IVolumeMount } from "kubernetes-models/v1";
import {
  CONFIG_MAP,
  HTTP_PORT,
  IMAGE,
  labels,
  memoryMiB,
  NAMESPACE,
  PORT_NAME,
  PROCESS_GROUP,
  type Role,
  SECRET,
  SECRET_DIR,
  selector,
  SHUTDOWN_TIMEOUT_S,
  SIZING,
  TERMINATION_GRACE_S,
} from "./settings.ts";

/** The image's unprivileged `deno` user (denoland/deno images). */
export const RUN_AS_USER = 1993;

/**
 * Stores a role does not use, switched off whatever the shared ConfigMap says (an empty URL or
 * `<VAR>_FILE` is unset), so each role opens, and its NetworkPolicy allows, only what it needs.
 */
const UNUSED_STORES: Record<Role, readonly string[]> = {
  ingest: ["DATABASE_URL_FILE", "CLICKHOUSE_URL", "CLICKHOUSE_PASSWORD_FILE", "REDIS_URL_FILE"],
  process: [],
  archive: ["CLICKHOUSE_URL", "CLICKHOUSE_PASSWORD_FILE", "REDIS_URL_FILE"],
};

function roleEnv(role: Role): IEnvVar[] {
  return [
    { name: "ROLE", value: role },
    { name: "HEAP_LIMIT_MB", value: String(SIZING[role].heapLimitMb) },
    { name: "SHUTDOWN_TIMEOUT", value: `${SHUTDOWN_TIMEOUT_S}s` },
    ...(role === "process" ? [{ name: "KAFKA_GROUP_ID", value: PROCESS_GROUP }] : []),
    ...UNUSED_STORES[role].map((name) => ({ name, value: "" })),
  ];
}

/**
 * Secrets as files (the loader reads `<VAR>_FILE`), never environment variables: files do not
 * show in `kubectl describe`, in the process environment or in crash dumps. Optional, so a role
 * that needs no secret starts without one; a `<VAR>_FILE` naming a missing key stops the start
 * with a configuration error (exit 2) that names it.
 */
const VOLUMES: IVolume[] = [
  {
    name: "secrets",
    projected: { defaultMode: 0o440, sources: [{ secret: { name: SECRET, optional: true } }] },
  },
  // The root filesystem is read-only; nothing is written, but a scratch /tmp costs nothing.
  { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
];
const MOUNTS: IVolumeMount[] = [
  { name: "secrets", mountPath: SECRET_DIR, readOnly: true },
  { name: "tmp", mountPath: "/tmp" },
];

/** The Deployment of `role`. */
export function deployment(role: Role): Deployment {
  const size = SIZING[role];
  const memory = `${memoryMiB(role)}Mi`;
  return new Deployment({
    metadata: { name: `crypto-${role}`, namespace: NAMESPACE, labels: labels(role) },
    spec: {
      replicas: size.replicas,
      selector: { matchLabels: selector(role) },
      // A second ingester during a rollout would produce every tick twice: stop the old first.
      strategy: role === "ingest"
        ? { type: "Recreate" }
        : { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: labels(role) },
        spec: {
          terminationGracePeriodSeconds: TERMINATION_GRACE_S,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS_USER,
            runAsGroup: RUN_AS_USER,
            fsGroup: RUN_AS_USER,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [{
            name: "pipeline",
            image: IMAGE,
            // `deno task start` without the task runner in between (it echoes the command line
            // and sits between Kubernetes' SIGTERM and the launcher); --cached-only: the image
            // holds every module, a pod never downloads one.
            command: ["deno", "run", "--cached-only", "--allow-env", "--allow-read", "--allow-run"],
            args: ["src/launch.ts"],
            envFrom: [{ configMapRef: { name: CONFIG_MAP } }],
            env: roleEnv(role),
            ports: [{ name: PORT_NAME, containerPort: HTTP_PORT, protocol: "TCP" }],
            // Startup covers migrations and, in the process role, restoring partitions.
            startupProbe: {
              httpGet: { path: "/health", port: PORT_NAME },
              periodSeconds: 2,
              failureThreshold: 60,
            },
            livenessProbe: {
              httpGet: { path: "/health", port: PORT_NAME },
              periodSeconds: 10,
              timeoutSeconds: 3,
              failureThreshold: 3,
            },
            readinessProbe: {
              httpGet: { path: "/ready", port: PORT_NAME },
              periodSeconds: 5,
              timeoutSeconds: 3,
              failureThreshold: 2,
            },
            resources: {
              requests: { cpu: size.cpuRequest, memory },
              limits: { cpu: size.cpuLimit, memory },
            },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              privileged: false,
              capabilities: { drop: ["ALL"] },
            },
            volumeMounts: MOUNTS,
          }],
          volumes: VOLUMES,
        },
      },
    },
  });
}
