import assert from "node:assert/strict";
import {
  effectiveHeapLimitMb,
  HEAP_SHARE_OF_MEMORY_LIMIT,
  memoryLimitOf,
} from "../../src/config/memory_limit.ts";
import { loadConfig } from "../../src/config/load_config.ts";
import { pipelineCommand } from "../../src/process/pipeline_command.ts";

const MB = 1024 * 1024;
const ENTRYPOINT = new URL("../../tools/container_entrypoint.sh", import.meta.url).pathname;
const REPO = new URL("../../", import.meta.url).pathname;

Deno.test("memoryLimitOf() reads cgroup v2 and v1 limit files; 'max' and v1's huge number are none", () => {
  assert.equal(memoryLimitOf("402653184\n"), 384 * MB);
  assert.equal(memoryLimitOf("max\n"), null);
  assert.equal(memoryLimitOf("9223372036854771712\n"), null);
  assert.equal(memoryLimitOf(""), null);
  assert.equal(memoryLimitOf(undefined), null);
  assert.equal(memoryLimitOf("12k"), null);
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
  assert.equal(pipelineCommand(r.config).heapLimitMb, 384, "outside a container: --heap-limit");
});

Deno.test("container_entrypoint.sh prints --help and exits 0; configuration errors exit 2", async () => {
  const run = (args: string[]) =>
    new Deno.Command(ENTRYPOINT, { args, cwd: REPO, stdout: "piped", stderr: "piped" }).output();
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /--heap-limit/);
  const bad = await run(["--bogus"]);
  assert.equal(bad.code, 2);
  assert.match(new TextDecoder().decode(bad.stderr), /unknown option --bogus/);
});
