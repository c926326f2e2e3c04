/**
 * `deno task start`: resolves the configuration (reporting every error at once, exit code 2;
 * `--help`), then runs the pipeline (src/main.ts) in a child Deno process granted only what that
 * configuration needs — see src/config/permissions.ts — and mirrors its exit code. Signals go to
 * the child, which stops gracefully.
 * @module
 */
import { configFromProcess } from "./config/config_from_process.ts";
import { permissionFlags } from "./config/permissions.ts";
import { v8FlagsArg } from "./config/v8_flags.ts";

const resolved = await configFromProcess();
if ("exitCode" in resolved) Deno.exit(resolved.exitCode);
const main = new URL("./main.ts", import.meta.url).pathname;
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    // No prompts: what the config does not grant is an error, never a question (npm packages
    // probing parent directories for optional modules would otherwise prompt on a terminal).
    "--no-prompt",
    v8FlagsArg(resolved.config.heapLimitMb),
    ...permissionFlags(resolved.config, { dotenv: resolved.dotenvFound ? ".env" : undefined }),
    main,
    ...Deno.args,
  ],
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  // The terminal sends Ctrl-C to the whole group; kill() covers a lone SIGTERM to the launcher.
  Deno.addSignalListener(signal, () => {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  });
}
const status = await child.status;
Deno.exit(status.signal ? 128 + (status.signal === "SIGINT" ? 2 : 15) : status.code);
