/**
 * The memory limit of the cgroup this process runs in (a container's `mem_limit`, a systemd
 * unit's `MemoryMax`, a Kubernetes `resources.limits.memory`), and the V8 heap limit derived from
 * it, so the pipeline's heap ceiling is always below the memory the kernel will let it have: a
 * heap that outgrows it then ends as V8's named out-of-memory (exit 133) instead of the kernel's
 * OOM killer (exit 137, no word of why), and V8 collects harder as it nears the ceiling.
 *
 * Why half: the old generation is not the whole process. Measured with Deno 2.9.6 (the compose
 * parity test prints these per run): the Deno runtime, code and young generation are ~45–55 MB
 * resident before any data; the Kafka `process` role runs a second V8 isolate (its window worker)
 * with its own heap; and socket buffers, kafkajs batches and the ClickHouse client's request
 * bodies are outside the heap. Half the limit for the main isolate's old generation leaves the
 * other half for all of that.
 * @module
 */

/** Share of the cgroup memory limit given to V8's old generation (see the module doc). */
export const HEAP_SHARE_OF_MEMORY_LIMIT = 0.5;

/** The smallest heap limit the loader accepts (`--heap-limit`), and the floor of a derived one. */
export const MIN_HEAP_LIMIT_MB = 64;

/** Reads a file's text, or null when it does not exist or cannot be read. */
export type ReadText = (path: string) => string | null;

const MB = 1024 * 1024;
// cgroup v1 reports "no limit" as a huge page-aligned number (9223372036854771712).
const UNLIMITED_ABOVE = 2 ** 60;

/**
 * The memory limit in bytes of the cgroup of this process (the smallest along its path to the
 * root), or null when there is none. cgroup v2: `memory.max` of `/proc/self/cgroup`'s `0::` path
 * and its ancestors; cgroup v1: `memory.limit_in_bytes` of the `memory` controller's path. Inside
 * a container the cgroup file system shows the container's own cgroup as its root, while
 * `/proc/self/cgroup` may still name the host's path (cgroup v1, no cgroup namespace): the root
 * files are read too.
 *
 * @example
 * ```ts
 * import { cgroupMemoryLimit } from "./memory_limit.ts";
 * const files: Record<string, string> = {
 *   "/proc/self/cgroup": "0::/\n",
 *   "/sys/fs/cgroup/memory.max": "268435456\n",
 * };
 * cgroupMemoryLimit((path) => files[path] ?? null); // 268435456
 * ```
 */
export function cgroupMemoryLimit(read: ReadText = readTextOrNull): number | null {
  const self = read("/proc/self/cgroup") ?? "";
  const candidates: string[] = [];
  for (const line of self.split("\n")) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line.trim()) ?? [];
    if (path === undefined) continue;
    if (controllers === "") {
      for (const dir of ancestors(path)) candidates.push(`/sys/fs/cgroup${dir}/memory.max`);
    } else if (controllers.split(",").includes("memory")) {
      for (const dir of ancestors(path)) {
        candidates.push(`/sys/fs/cgroup/memory${dir}/memory.limit_in_bytes`);
      }
    }
  }
  candidates.push("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes");
  let limit: number | null = null;
  for (const file of new Set(candidates)) {
    const text = read(file)?.trim();
    if (!text || !/^\d+$/.test(text)) continue; // "max", or not a cgroup file
    const bytes = Number(text);
    if (bytes > 0 && bytes < UNLIMITED_ABOVE) {
      limit = limit === null ? bytes : Math.min(limit, bytes);
    }
  }
  return limit;
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

/** `/a/b` → `/a/b`, `/a`, `` (the root, as a path prefix). */
function ancestors(path: string): string[] {
  const parts = path.split("/").filter((p) => p !== "" && p !== "." && p !== "..");
  const out: string[] = [];
  for (let i = parts.length; i >= 0; i--) {
    out.push(i === 0 ? "" : `/${parts.slice(0, i).join("/")}`);
  }
  return out;
}

function readTextOrNull(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}
