/**
 * Prints the command that runs the pipeline in a container — the same `deno run` command, with
 * the same permission and V8 flags, that `deno task start`'s launcher would spawn for this
 * environment (src/process/pipeline_command.ts), its heap limit derived from the container's
 * memory limit (`CONTAINER_MEMORY_LIMIT`, see src/config/memory_limit.ts). tools/container_entrypoint.sh `exec`s it, so the pipeline is the container's only
 * process: Deno cannot `exec`, and a launcher staying alive beside it would cost ~50 MB per
 * container. Output: the line `exec`, then the command and each argument on a line of its own
 * (no argument can hold a line break: the configuration refuses them in paths and hosts). After
 * `--help` the help text is printed instead; configuration errors go to stderr, exit 2.
 *
 * ```sh
 * deno run --no-prompt --allow-env --allow-read tools/container_command.ts [pipeline flags…]
 * ```
 * @module
 */
import { configFromProcess } from "../src/config/config_from_process.ts";
import { CONTAINER_MEMORY_LIMIT_ENV, memoryLimitOf } from "../src/config/memory_limit.ts";
import { PermissionGrantError } from "../src/config/permissions.ts";
import { pipelineCommand } from "../src/process/pipeline_command.ts";

const encoder = new TextEncoder();
const resolved = await configFromProcess();
if ("exitCode" in resolved) Deno.exit(resolved.exitCode);
try {
  const { command, args } = pipelineCommand(resolved.config, {
    dotenv: resolved.dotenvFound ? ".env" : undefined,
    args: Deno.args,
    // Set by tools/container_entrypoint.sh from the cgroup file Deno may not read.
    memoryLimitBytes: memoryLimitOf(Deno.env.get(CONTAINER_MEMORY_LIMIT_ENV)),
  });
  Deno.stdout.writeSync(encoder.encode(["exec", command, ...args].join("\n") + "\n"));
} catch (e) {
  if (!(e instanceof PermissionGrantError)) throw e;
  const text = ["configuration errors:", ...e.problems.map((p) => `  - ${p}`), ""].join("\n");
  Deno.stderr.writeSync(encoder.encode(text));
  Deno.exit(2);
}
