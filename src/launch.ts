/**
 * `deno task start`: resolves the configuration (reporting every error at once, exit code 2;
 * `--help`), then runs the pipeline (src/main.ts) in a child Deno process granted only what that
 * configuration needs — see src/config/permissions.ts and src/process/pipeline_command.ts — and
 * mirrors how it ended: its exit code,
 * or 128 + the signal that killed it, out of memory named (src/process/exit_status.ts). Signals
 * go to the child, which stops gracefully; if this launcher dies (even by SIGKILL) the child
 * notices within a second and stops itself (src/process/launcher_watch.ts).
 *
 * The child's stdio stays inherited. Piping its stderr through here would let the launcher read
 * V8's "out of memory" report word for word, but: a launcher killed with SIGKILL — the case the
 * child must survive to stop cleanly — would take the child's stderr with it (its shutdown logs
 * lost, every later write failing with EPIPE); a stalled launcher would block the pipeline's
 * synchronous log writes once the pipe's 64 KiB buffer filled; and the child would no longer see
 * a terminal (live view, readable logs). The exit signal names out-of-memory well enough.
 * @module
 */
import { configFromProcess } from "./config/config_from_process.ts";
import { PermissionGrantError } from "./config/permissions.ts";
import { createLogger } from "./logger.ts";
import { exitReport } from "./process/exit_status.ts";
import { LAUNCHER_PID_ENV } from "./process/launcher_watch.ts";
import { type PipelineCommand, pipelineCommand } from "./process/pipeline_command.ts";

const resolved = await configFromProcess();
if ("exitCode" in resolved) Deno.exit(resolved.exitCode);
const { config } = resolved;
let pipeline: PipelineCommand;
try {
  pipeline = pipelineCommand(config, {
    dotenv: resolved.dotenvFound ? ".env" : undefined,
    args: Deno.args,
  });
} catch (e) {
  if (!(e instanceof PermissionGrantError)) throw e;
  const text = ["configuration errors:", ...e.problems.map((p) => `  - ${p}`), ""].join("\n");
  await Deno.stderr.write(new TextEncoder().encode(text));
  Deno.exit(2);
}
const child = new Deno.Command(pipeline.command, {
  args: [...pipeline.args],
  env: { [LAUNCHER_PID_ENV]: String(Deno.pid) },
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  // The terminal sends Ctrl-C (and SIGHUP when it closes) to the whole group; kill() covers a lone
  // signal to the launcher, which would otherwise die of SIGHUP and leave its child orphaned.
  Deno.addSignalListener(signal, () => {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  });
}
const report = exitReport(await child.status, pipeline.heapLimitMb);
if (report.message !== null) {
  createLogger({ level: config.logLevel, name: "launcher" }).error(report.message, {
    exitCode: report.code,
    outOfMemory: report.outOfMemory,
  });
}
Deno.exit(report.code);
