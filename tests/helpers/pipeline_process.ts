/**
 * The pipeline (`src/main.ts`) in a child process with every permission, for tests that kill it,
 * signal it or run several instances at once. Its stderr (the log) is collected as it comes, so
 * tests can poll it and a full pipe never blocks the child.
 * @module
 */

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** A running pipeline process. */
export interface PipelineProcess {
  readonly child: Deno.ChildProcess;
  /** Everything the process wrote to stderr so far. */
  log(): string;
  /** True once the process exited. */
  readonly exited: boolean;
  /** The exit status, once stderr is read to its end. */
  done(): Promise<Deno.CommandStatus>;
  /** Sends `signal` (default SIGKILL) unless the process exited already; then {@linkcode done}. */
  kill(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Spawns `deno run -A src/main.ts ...args`, its stdout discarded. */
export function spawnPipeline(args: readonly string[]): PipelineProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  let exited = false;
  child.status.then(() => (exited = true));
  const reading = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (log += chunk) }),
  ).catch(() => {});
  let done: Promise<Deno.CommandStatus> | undefined;
  const process: PipelineProcess = {
    child,
    log: () => log,
    get exited() {
      return exited;
    },
    done: () =>
      done ??= (async () => {
        const status = await child.status;
        await reading;
        return status;
      })(),
    kill: (signal = "SIGKILL") => {
      try {
        child.kill(signal);
      } catch {
        // Exited already.
      }
      return process.done();
    },
  };
  return process;
}

/** Options of {@linkcode spawnReplay}. */
export interface ReplayProcessOptions {
  /** The replay file. */
  readonly file: string;
  /** The SQLite file the results go to. */
  readonly db: string;
  /** More flags. */
  readonly args?: readonly string[];
}

/** The embedded pipeline replaying a file into SQLite in its own process, exiting at the end. */
export function spawnReplay(o: ReplayProcessOptions): PipelineProcess {
  return spawnPipeline([
    "--source=replay",
    `--replay-file=${o.file}`,
    `--sqlite=${o.db}`,
    "--exit-at-end",
    "--http=off",
    "--ui=off",
    ...o.args ?? [],
  ]);
}
