/**
 * How a child process ended, as the exit code its parent should report and a sentence for the
 * log: the code as is, or 128 + the signal's number for a death by signal — what a shell reports
 * for a process killed by that signal (SIGKILL 137, SIGTERM 143, SIGINT 130, SIGTRAP 133).
 * @module
 */

/**
 * Linux signal numbers of every name in `Deno.Signal`. Names Linux does not have (`SIGBREAK`,
 * `SIGEMT`, `SIGINFO`: Windows and BSD) are absent; `SIGPOLL` is `SIGIO` and `SIGUNUSED` is
 * `SIGSYS`, as in glibc.
 */
export const LINUX_SIGNAL_NUMBERS: Readonly<Partial<Record<Deno.Signal, number>>> = Object.freeze({
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
  SIGUNUSED: 31,
});

/** What a child's end means for its parent. */
export interface ExitReport {
  /** The code the parent exits with: the child's own, or 128 + signal number. */
  readonly code: number;
  /** A log line for a death by signal; null for a plain exit (the child logged its reasons). */
  readonly message: string | null;
  /** True when the death looks like V8 giving up on a full heap. */
  readonly outOfMemory: boolean;
}

/**
 * Maps a child's status to the parent's exit code and log line. `heapLimitMb` is the child's
 * V8 heap limit, named in the out-of-memory message.
 *
 * Out of memory is recognised by the signal alone: V8 ends every fatal error (a full heap above
 * all, or a failed internal check) by executing a trap instruction, which Linux reports as SIGTRAP
 * (measured with Deno 2.9.6 on x86-64: `--max-old-space-size=64` exhausted → signal SIGTRAP, code
 * 133, after "Fatal JavaScript out of memory" on stderr). Nothing else in a Deno process raises
 * SIGTRAP (a Rust panic exits 101 or aborts with SIGABRT). Reading the child's stderr for V8's
 * message would be exact, but stderr must stay inherited; see src/launch.ts.
 *
 * @example
 * ```ts
 * import { exitReport } from "./exit_status.ts";
 * exitReport({ success: false, code: 137, signal: "SIGKILL" }, 384).code; // 137
 * ```
 */
export function exitReport(status: Deno.CommandStatus, heapLimitMb: number): ExitReport {
  if (status.signal === null) return { code: status.code, message: null, outOfMemory: false };
  const number = LINUX_SIGNAL_NUMBERS[status.signal];
  // Deno already reports 128 + signal in `code`; it is the fallback for a name we cannot map.
  const code = number === undefined ? status.code : 128 + number;
  if (status.signal === "SIGTRAP") {
    return {
      code,
      outOfMemory: true,
      message: `pipeline ran out of memory (V8 fatal error, SIGTRAP, exit ${code}): heap limit ` +
        `${heapLimitMb} MB, raise --heap-limit; V8's own report is just above`,
    };
  }
  return { code, outOfMemory: false, message: `pipeline died of ${status.signal} (exit ${code})` };
}
