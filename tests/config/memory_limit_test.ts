import assert from "node:assert/strict";
import {
  cgroupMemoryLimit,
  effectiveHeapLimitMb,
  HEAP_SHARE_OF_MEMORY_LIMIT,
} from "../../src/config/memory_limit.ts";
import { pipelineCommand } from "../../src/process/pipeline_command.ts";
import { loadConfig } from "../../src/config/load_config.ts";

const MB = 1024 * 1024;
const files = (map: Record<string, string>) => (path: string) => map[path] ?? null;

Deno.test("cgroupMemoryLimit() reads a container's cgroup v2 memory.max", () => {
  const read = files({
    "/proc/self/cgroup": "0::/\n",
    "/sys/fs/cgroup/memory.max": "402653184\n",
  });
  assert.equal(cgroupMemoryLimit(read), 384 * MB);
});

Deno.test("cgroupMemoryLimit() takes the smallest limit on the way to the root (cgroup v2)", () => {
  const read = files({
    "/proc/self/cgroup": "0::/system.slice/pipeline.service\n",
    "/sys/fs/cgroup/system.slice/pipeline.service/memory.max": "max\n",
    "/sys/fs/cgroup/system.slice/memory.max": "268435456\n",
  });
  assert.equal(cgroupMemoryLimit(read), 256 * MB);
});

Deno.test("cgroupMemoryLimit() reads cgroup v1, including a container's own root", () => {
  const own = files({
    "/proc/self/cgroup": "12:cpu:/x\n4:memory:/docker/abc\n0::/\n",
    "/sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456\n",
  });
  assert.equal(cgroupMemoryLimit(own), 256 * MB, "the host's path is absent inside the container");
  const nested = files({
    "/proc/self/cgroup": "4:memory:/a/b\n",
    "/sys/fs/cgroup/memory/a/b/memory.limit_in_bytes": "536870912\n",
    "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
  });
  assert.equal(cgroupMemoryLimit(nested), 512 * MB, "v1's 'unlimited' is a huge number");
});

Deno.test("cgroupMemoryLimit() is null without a limit or without cgroups", () => {
  assert.equal(cgroupMemoryLimit(files({})), null);
  assert.equal(
    cgroupMemoryLimit(files({ "/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/memory.max": "max" })),
    null,
  );
});

Deno.test("effectiveHeapLimitMb() gives the heap half the memory limit at most", () => {
  assert.equal(HEAP_SHARE_OF_MEMORY_LIMIT, 0.5);
  assert.equal(effectiveHeapLimitMb(384, 256 * MB), 128);
  assert.equal(effectiveHeapLimitMb(384, 384 * MB), 192);
  assert.equal(effectiveHeapLimitMb(200, 1024 * MB), 200, "a smaller --heap-limit stays");
  assert.equal(effectiveHeapLimitMb(384, 64 * MB), 64, "never below the loader's minimum");
  assert.equal(effectiveHeapLimitMb(384, null), 384);
});

Deno.test("pipelineCommand() puts the derived heap limit into the V8 flags", () => {
  const r = loadConfig({ args: ["--http=off", "--sqlite="], env: () => undefined });
  if (r.kind !== "ok") throw new Error(JSON.stringify(r));
  const cmd = pipelineCommand(r.config, { memoryLimitBytes: 256 * MB, args: ["--sqlite="] });
  assert.equal(cmd.heapLimitMb, 128);
  assert.equal(cmd.command, Deno.execPath());
  assert.deepEqual(cmd.args.slice(0, 3), [
    "run",
    "--no-prompt",
    "--v8-flags=--max-old-space-size=128",
  ]);
  assert.ok(cmd.args.at(-2)!.endsWith("/src/main.ts"));
  assert.equal(cmd.args.at(-1), "--sqlite=");
});
