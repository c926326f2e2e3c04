/**
 * The V8 heap limit derived from the memory limit of the container (cgroup) the pipeline runs
 * in, so the heap ceiling is always below the memory the kernel will let it have: a heap that
 * outgrows it then ends as V8's named out-of-memory (exit 133) instead of the kernel's OOM killer
 * (exit 137, no word of why), and V8 collects harder as it nears the ceiling.
 *
 * Why half: the old generation is not the whole process. The Deno runtime, code and young
 * generation are ~45–55 MB resident before any data; the Kafka `process` role runs a second V8
 * isolate (its window worker) with its own heap; socket buffers, kafkajs batches and the
 * ClickHouse client's request bodies live outside the heap. The compose parity test
 * (tests/deploy/compose_parity_test.ts) prints each service's peak RSS against its limit.
 *
 * Who reads the limit: Deno 2.9 asks for `--allow-all` to read anything under `/sys` or
 * `/proc/self`, so the container's entry point (tools/container_entrypoint.sh, a shell) reads the
 * cgroup file and hands its text over in {@linkcode CONTAINER_MEMORY_LIMIT_ENV}. Inside a
 * container the cgroup file system's root is the container's own cgroup (a cgroup namespace on
 * v2, Docker's per-container mount on v1), so the root file is the container's limit.
 * @module
 */

/** Share of the memory limit given to V8's old generation (see the module doc). */
export const HEAP_SHARE_OF_MEMORY_LIMIT = 0.5;

/** The smallest heap limit the loader accepts (`--heap-limit`), and the floor of a derived one. */
export const MIN_HEAP_LIMIT_MB = 64;

/**
 * The variable the container entry point sets to the text of `/sys/fs/cgroup/memory.max` (v2) or
 * `/sys/fs/cgroup/memory/memory.limit_in_bytes` (v1).
 */
export const CONTAINER_MEMORY_LIMIT_ENV = "CONTAINER_MEMORY_LIMIT";

const MB = 1024 * 1024;
// cgroup v1 reports "no limit" as a huge page-aligned number (9223372036854771712).
const UNLIMITED_ABOVE = 2 ** 60;

/**
 * A cgroup memory limit file's text in bytes; null for none (`max`, v1's huge "unlimited",
 * empty, or anything that is not a number).
 *
 * @example
 * ```ts
 * import { memoryLimitOf } from "./memory_limit.ts";
 * memoryLimitOf("268435456\n"); // 268435456
 * memoryLimitOf("max\n"); // null
 * ```
 */
export function memoryLimitOf(text: string | undefined): number | null {
  const t = text?.trim() ?? "";
  if (!/^\d+$/.test(t)) return null;
  const bytes = Number(t);
  return bytes > 0 && bytes < UNLIMITED_ABOVE ? bytes : null;
}

/**
 * The V8 old-generation limit (MB) for a configured `--heap-limit` under a memory limit: the
 * configured value, lowered to {@linkcode HEAP_SHARE_OF_MEMORY_LIMIT} of the memory limit when
 * that is smaller (never below {@linkcode MIN_HEAP_LIMIT_MB}).
 *
 * @example
 * ```ts
 * import { effectiveHeapLimitMb } from "./memory_limit.ts";
 * effectiveHeapLimitMb(384, 256 * 1024 * 1024); // 128
 * effectiveHeapLimitMb(384, null); // 384
 * ```
 */
export function effectiveHeapLimitMb(
  configuredMb: number,
  memoryLimitBytes: number | null,
): number {
  if (memoryLimitBytes === null) return configuredMb;
  const share = Math.floor((memoryLimitBytes / MB) * HEAP_SHARE_OF_MEMORY_LIMIT);
  return Math.min(configuredMb, Math.max(MIN_HEAP_LIMIT_MB, share));
}
