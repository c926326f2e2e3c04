/**
 * The numbers and names every manifest shares, in one place, with the reasons behind them: the
 * namespace, labels, the HTTP port, each role's heap limit and the memory limit that follows from
 * it, and the shutdown timeout the termination grace period must exceed.
 * @module
 */

export const NAMESPACE = "crypto-pipeline";
export const APP = "crypto-pipeline";
/** The image; overlays pin the registry and tag with kustomize's `images:`. */
export const IMAGE = "crypto-pipeline:0.1.0";
/** Settings shared by every role (src/config/options.ts variables). */
export const CONFIG_MAP = "crypto-pipeline-config";
/** Secrets the operator creates (never committed); each key is mounted as a file. */
export const SECRET = "crypto-pipeline-secrets";
/** Where secrets are mounted; `<VAR>_FILE` variables point into it. */
export const SECRET_DIR = "/etc/crypto-pipeline/secrets";
/** The HTTP port of /metrics, /health and /ready. */
export const HTTP_PORT = 9464;
export const PORT_NAME = "http-metrics";
/** Namespace of the Prometheus that scrapes the pods (NetworkPolicy ingress). */
export const MONITORING_NAMESPACE = "monitoring";
/** Consumer group of the process role (KEDA reads its lag) and the ticks topic. */
export const PROCESS_GROUP = "crypto-process";
export const ARCHIVE_GROUP = "crypto-archive";
export const TICKS_TOPIC = "crypto.ticks";
/** Partitions of `crypto.ticks`: the most `process` replicas that can have work. */
export const TICKS_PARTITIONS = 12;

/** `--shutdown-timeout`, seconds. */
export const SHUTDOWN_TIMEOUT_S = 15;
/** src/main.ts exits regardless this long after the shutdown timeout (its backstop). */
export const MAIN_BACKSTOP_S = 5;
/**
 * Kubernetes sends SIGKILL this long after SIGTERM. It must cover the stop (`--shutdown-timeout`),
 * the pipeline's own backstop, and the launcher's exit, with room to spare: a stop that is killed
 * has not committed its offsets, and the next owner replays more.
 */
export const TERMINATION_GRACE_S = 30;

/**
 * Memory limit ÷ V8 heap limit. `--heap-limit` bounds V8's old generation only; the container also
 * holds the young generation, code, Buffers outside the heap (kafkajs batches, TLS), Deno's own
 * runtime, the launcher process (a second Deno, ~40-50 MB resident) and, in the process role, the
 * window worker thread's isolate. Twice the heap limit keeps a full heap a V8 out-of-memory error
 * (exit 133, named by the launcher) rather than the kernel's OOM kill (137, no report).
 */
export const MEMORY_PER_HEAP = 2;

/** One role's size. */
export interface RoleSizing {
  readonly replicas: number;
  /** `HEAP_LIMIT_MB`. */
  readonly heapLimitMb: number;
  readonly cpuRequest: string;
  readonly cpuLimit: string;
}

export const ROLES = ["ingest", "process", "archive"] as const;
export type Role = typeof ROLES[number];

export const SIZING: Record<Role, RoleSizing> = {
  // One ingester: a second would produce every feed's ticks twice (harmless, deduplicated
  // downstream, but twice the traffic).
  ingest: { replicas: 1, heapLimitMb: 192, cpuRequest: "250m", cpuLimit: "1" },
  // KEDA moves this between 1 and TICKS_PARTITIONS; this is the count before KEDA takes over.
  process: { replicas: 2, heapLimitMb: 384, cpuRequest: "500m", cpuLimit: "2" },
  archive: { replicas: 1, heapLimitMb: 192, cpuRequest: "250m", cpuLimit: "1" },
};

/** The memory limit (and request: memory is not overcommitted) of a role, in MiB. */
export function memoryMiB(role: Role): number {
  return SIZING[role].heapLimitMb * MEMORY_PER_HEAP;
}

/** Labels of every object of `role` (or of the whole application). */
export function labels(role?: Role): Record<string, string> {
  return {
    "app.kubernetes.io/name": APP,
    "app.kubernetes.io/part-of": APP,
    ...(role ? { "app.kubernetes.io/component": role } : {}),
  };
}

/** The labels a role's pods are selected by (stable: a selector cannot change). */
export function selector(role: Role): Record<string, string> {
  return { "app.kubernetes.io/name": APP, "app.kubernetes.io/component": role };
}
