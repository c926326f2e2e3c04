/**
 * The command that runs the pipeline (src/main.ts) with exactly the permissions and V8 flags its
 * configuration needs. One function for both ways it is started: `deno task start`'s launcher
 * (src/launch.ts) spawns it as a child; a container runs it as its only process
 * (tools/container_command.ts prints it, tools/container_entrypoint.sh `exec`s it), because Deno
 * cannot `exec` and a launcher kept alive beside the pipeline costs a container ~50 MB.
 * @module
 */
import { effectiveHeapLimitMb } from "../config/memory_limit.ts";
import { permissionFlags } from "../config/permissions.ts";
import type { PipelineConfig } from "../config/pipeline_config.ts";
import { v8FlagsArg } from "../config/v8_flags.ts";

/** Options of {@linkcode pipelineCommand}. */
export interface PipelineCommandOptions {
  /** The `.env` file the configuration was read with, if any (the pipeline reads it too). */
  readonly dotenv?: string;
  /** The pipeline's own arguments (flags of the option table), passed on as they are. */
  readonly args?: readonly string[];
  /**
   * The memory limit of the container the pipeline runs in, bytes (src/config/memory_limit.ts);
   * none by default: `deno task start` outside a container uses `--heap-limit` as it is.
   */
  readonly memoryLimitBytes?: number | null;
}

/** A resolved pipeline command. */
export interface PipelineCommand {
  /** The Deno executable. */
  readonly command: string;
  /** `run`, flags, the entry point, then the pipeline's own arguments. */
  readonly args: readonly string[];
  /** The V8 old-generation limit in the flags: `--heap-limit`, capped by the memory limit. */
  readonly heapLimitMb: number;
}

/**
 * The pipeline's command for `config`.
 *
 * @throws {PermissionGrantError} when a path or host cannot be granted exactly.
 */
export function pipelineCommand(
  config: PipelineConfig,
  options: PipelineCommandOptions = {},
): PipelineCommand {
  const permissions = permissionFlags(config, { dotenv: options.dotenv });
  const heapLimitMb = effectiveHeapLimitMb(config.heapLimitMb, options.memoryLimitBytes ?? null);
  const main = new URL("../main.ts", import.meta.url).pathname;
  return {
    command: Deno.execPath(),
    args: [
      "run",
      // No prompts: what the config does not grant is an error, never a question (npm packages
      // probing parent directories for optional modules would otherwise prompt on a terminal).
      "--no-prompt",
      v8FlagsArg(heapLimitMb),
      ...permissions,
      main,
      ...(options.args ?? []),
    ],
    heapLimitMb,
  };
}
