/**
 * The program: `deno task start [options]`. Loads the configuration (exit 2 on any error, all of
 * them listed), starts the pipeline, shows a live view or a progress bar on a terminal, and stops
 * gracefully on SIGINT/SIGTERM/SIGHUP. Exit 0 only when the stop was clean and nothing was given up;
 * exit 1 when a failure escalated to the root of the actor system (a crash-looping pipeline never
 * looks healthy), when the stop ran past `--shutdown-timeout`, or when any result was given up
 * (a store refused it, or could not take it before the stop ran out of time). Started by the
 * launcher (src/launch.ts), it also stops when the launcher disappears: see
 * {@linkcode ORPHANED_EXIT_CODE}.
 * @module
 */
import { configFromProcess } from "./config/config_from_process.ts";
import { createLogger } from "./logger.ts";
import { startPipeline } from "./pipeline/pipeline.ts";
import { ORPHANED_EXIT_CODE, watchLauncher } from "./process/launcher_watch.ts";
import { routeRuntimeWarnings } from "./process/runtime_warnings.ts";
import { startLiveView } from "./ui/live_view.ts";
import { createProgressBar } from "./ui/progress_bar.ts";

async function main(): Promise<number> {
  const resolved = await configFromProcess();
  if ("exitCode" in resolved) return resolved.exitCode;
  const config = resolved.config;
  const tty = Deno.stderr.isTerminal();
  const showLive = config.liveView === "on" || (config.liveView === "auto" && tty);
  const replaying = config.sources.includes("replay");
  const progress = tty && replaying ? createProgressBar() : null;
  // The live view owns the terminal; logs below warn level would scroll it away.
  const logger = createLogger({
    level: showLive && !replaying && config.logLevel === "info" ? "warn" : config.logLevel,
  });
  const log = logger.child("main");
  routeRuntimeWarnings(logger.child("runtime"));
  const launcher = resolved.launcherPid === null ? null : watchLauncher(resolved.launcherPid);
  const orphaned = launcher?.gone.then(() => "launcher gone") ?? new Promise<string>(() => {});

  let pipeline;
  try {
    pipeline = await startPipeline(config, { logger, onReplayProgress: progress?.update });
  } catch (e) {
    log.error("cannot start", { error: e });
    return 1;
  }
  const view = showLive && !replaying ? startLiveView(pipeline) : null;
  const stopSignal = new Promise<string>((resolve) => {
    // SIGHUP: the terminal that started us closed. Stop gracefully, as for SIGTERM, instead of
    // dying at once with windows unwritten (the default action of SIGHUP).
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      Deno.addSignalListener(sig, () => resolve(sig));
    }
  });
  const drained = config.replay.exitAtEnd
    ? pipeline.drained.then(() => "end of input")
    : new Promise<string>(() => {});
  const outcome = await Promise.race([
    stopSignal.then((sig) => ({ kind: "stop" as const, why: sig })),
    drained.then((why) => ({ kind: "stop" as const, why })),
    orphaned.then((why) => ({ kind: "orphaned" as const, why })),
    pipeline.terminated.then((t) => ({ kind: "terminated" as const, t })),
  ]);
  launcher?.stop();
  view?.stop();
  progress?.done();
  if (outcome.kind === "terminated") {
    log.error("pipeline failed", { error: outcome.t.error });
    return 1;
  }
  if (outcome.kind === "orphaned") log.warn("launcher gone, stopping");
  else log.info("stopping", { reason: outcome.why });
  // A backstop beyond the stop's own deadline: a step that never yields (a stuck native call)
  // must not keep the process alive looking like it is stopping.
  const backstop = setTimeout(() => {
    log.error("the stop did not end; exiting", { afterMs: config.shutdownTimeoutMs + BACKSTOP_MS });
    Deno.exit(1);
  }, config.shutdownTimeoutMs + BACKSTOP_MS);
  await pipeline.stop();
  const t = await pipeline.terminated;
  clearTimeout(backstop);
  if (!t.ok) {
    log.error("shutdown was not clean", { error: t.error });
    return 1;
  }
  if (pipeline.givenUp.total > 0) {
    log.error("stopped, but results were given up (see the dead letters)", {
      given_up: pipeline.givenUp.entries(),
    });
    return 1;
  }
  log.info("stopped");
  return outcome.kind === "orphaned" ? ORPHANED_EXIT_CODE : 0;
}

/** Grace beyond `--shutdown-timeout` before the process exits regardless. */
const BACKSTOP_MS = 5000;

Deno.exit(await main());
