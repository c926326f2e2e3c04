/**
 * The configuration of this process, from its flags, environment and `./.env`, with the user-facing
 * outcomes handled: `--help` is printed (exit 0), errors are all listed (exit 2). Shared by the
 * launcher and the pipeline entry point, which both resolve the same command line.
 * @module
 */
import { LAUNCHER_PID_ENV } from "../process/launcher_watch.ts";
import { loadConfig } from "./load_config.ts";
import type { PipelineConfig } from "./pipeline_config.ts";
import { probeFileSystem } from "./replay_file_checks.ts";

/** The resolved config, or the exit code the process must end with. */
export type ProcessConfig =
  | {
    readonly config: PipelineConfig;
    readonly dotenvFound: boolean;
    /** The pid of the launcher that started this process (`deno task start`), else null. */
    readonly launcherPid: number | null;
  }
  | { readonly exitCode: number };

/** Resolves the configuration; prints help or every error when that is the outcome. */
export async function configFromProcess(): Promise<ProcessConfig> {
  const encoder = new TextEncoder();
  const dotenv = await Deno.readTextFile(".env").catch(() => undefined);
  const loaded = loadConfig({
    args: Deno.args,
    env: (name) => Deno.env.get(name),
    dotenv,
    probeFile: probeFileSystem,
  });
  if (loaded.kind === "help") {
    await Deno.stdout.write(encoder.encode(loaded.text));
    return { exitCode: 0 };
  }
  if (loaded.kind === "error") {
    const text = ["configuration errors:", ...loaded.errors.map((e) => `  - ${e}`), "see --help"];
    await Deno.stderr.write(encoder.encode(text.join("\n") + "\n"));
    return { exitCode: 2 };
  }
  // Set by src/launch.ts for its child only, never by users: not an option of the table.
  const launcherPid = Number(Deno.env.get(LAUNCHER_PID_ENV));
  return {
    config: loaded.config,
    dotenvFound: dotenv !== undefined,
    launcherPid: Number.isInteger(launcherPid) && launcherPid > 1 ? launcherPid : null,
  };
}
