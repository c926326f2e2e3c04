/**
 * A throw-away server binary for integration tests (ClickHouse, Prometheus): spawned with its data
 * in a temporary directory, ready once an HTTP path answers 2xx, killed with SIGKILL on stop (its
 * data is thrown away, nothing to flush) and its directory removed.
 * @module
 */
import { pollUntil } from "./services.ts";

/** A running server process. */
export interface ServerProcess {
  /** Stops the server and removes its directory; idempotent. */
  stop(): Promise<void>;
  /** The same, synchronously, for an `unload` handler. */
  stopSync(): void;
}

/** Options of {@linkcode startServerProcess}. */
export interface ServerProcessOptions {
  /** The binary and its arguments. */
  readonly command: string;
  readonly args: readonly string[];
  /** The server's temporary directory, removed on stop. */
  readonly dir: string;
  /** Answers 2xx once the server is ready, e.g. `http://127.0.0.1:8123/ping`. */
  readonly readyUrl: string;
  /** Names the readiness wait in a timeout, e.g. `ClickHouse /ping`. */
  readonly what: string;
  /** What went wrong when the process exits before it is ready. */
  readonly exitedEarly: string;
  readonly timeoutMs: number;
}

/** Spawns the server and resolves once `readyUrl` answers 2xx; stops it when it never does. */
export async function startServerProcess(o: ServerProcessOptions): Promise<ServerProcess> {
  const child = new Deno.Command(o.command, {
    args: [...o.args],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  const status = child.status.finally(() => (exited = true));
  let stopped = false;
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  };
  const server: ServerProcess = {
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (!exited) kill();
      await status;
      await Deno.remove(o.dir, { recursive: true }).catch(() => {});
    },
    stopSync: () => {
      if (stopped) return;
      stopped = true;
      kill();
      try {
        Deno.removeSync(o.dir, { recursive: true });
      } catch { /* already removed */ }
    },
  };
  try {
    await pollUntil(
      o.what,
      async () => {
        if (exited) throw new Error(o.exitedEarly);
        const res = await fetch(o.readyUrl);
        await res.body?.cancel();
        return res.ok;
      },
      o.timeoutMs,
      50,
    );
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
