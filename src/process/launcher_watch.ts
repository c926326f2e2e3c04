/**
 * The pipeline's side of `deno task start`: notice when the launcher that started it is gone
 * (killed with SIGKILL, crashed), so an orphaned pipeline stops instead of running on, serving
 * HTTP, holding its database and its consumer-group membership.
 *
 * How: the launcher passes its pid in {@linkcode LAUNCHER_PID_ENV}; the pipeline polls its parent
 * pid (`Deno.ppid`, re-read by the OS on every access and needing no permission) and compares.
 * When the launcher dies, Linux re-parents the child to init or the nearest subreaper (a
 * container's init, `systemd --user`), so the parent pid changes whoever adopts it. Comparing with
 * the pid the launcher announced (rather than the parent pid seen at start-up) also catches a
 * launcher that died while the pipeline was still starting. Alternatives set aside: a pipe on
 * stdin (stdin is the terminal's), probing `/proc/<pid>` or `Deno.kill(pid, 0)` (read or run
 * permission the pipeline does not otherwise need, and a reused pid would look alive).
 * @module
 */

/** The variable through which the launcher tells the pipeline its pid. */
export const LAUNCHER_PID_ENV = "PIPELINE_LAUNCHER_PID";

/** How often the parent pid is checked: the issue asks for detection within a second. */
export const LAUNCHER_POLL_MS = 250;

/**
 * Exit code of a pipeline that stopped cleanly because its launcher was gone: 128 + SIGHUP, the
 * signal that traditionally tells a process its controlling process went away. Not 0, because
 * nobody asked for the stop (whoever collects the status — a subreaper, a container's init —
 * learns that something went wrong), and not 1, which means the pipeline itself failed (an
 * unclean stop still exits 1).
 */
export const ORPHANED_EXIT_CODE = 129;

/** Options of {@linkcode watchLauncher}. */
export interface LauncherWatchOptions {
  /** Poll interval, ms. Default {@linkcode LAUNCHER_POLL_MS}. */
  readonly intervalMs?: number;
  /** The current parent pid (tests inject it). Default `Deno.ppid`. */
  readonly ppid?: () => number;
}

/** A running watch. */
export interface LauncherWatch {
  /** Resolves once the parent is no longer the launcher. Never rejects. */
  readonly gone: Promise<void>;
  /** Stops polling; `gone` then never resolves. */
  stop(): void;
}

/**
 * Watches for the launcher `launcherPid` to stop being this process's parent. The poll timer is
 * unref'd: it never keeps the process alive by itself.
 *
 * @example
 * ```ts
 * import { watchLauncher } from "./launcher_watch.ts";
 * const watch = watchLauncher(Deno.ppid);
 * watch.stop();
 * ```
 */
export function watchLauncher(
  launcherPid: number,
  options: LauncherWatchOptions = {},
): LauncherWatch {
  const ppid = options.ppid ?? (() => Deno.ppid);
  let resolveGone!: () => void;
  const gone = new Promise<void>((resolve) => (resolveGone = resolve));
  const check = () => {
    if (ppid() === launcherPid) return;
    clearInterval(timer);
    resolveGone();
  };
  const timer = setInterval(check, options.intervalMs ?? LAUNCHER_POLL_MS);
  // A number at run time; typed as Node's Timeout because @types/node is in scope.
  Deno.unrefTimer(Number(timer));
  check();
  return { gone, stop: () => clearInterval(timer) };
}
