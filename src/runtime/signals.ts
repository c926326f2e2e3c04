/**
 * Graceful shutdown on SIGINT/SIGTERM for the program entry point.
 * @module
 */
import type { Logger } from "../logger.ts";
import type { ActorSystem } from "./system.ts";

/** Adds and removes a signal listener (Deno's by default; tests inject fakes). */
export interface SignalSource {
  add(signal: Deno.Signal, handler: () => void): void;
  remove(signal: Deno.Signal, handler: () => void): void;
}

const denoSignals: SignalSource = {
  add: (signal, handler) => Deno.addSignalListener(signal, handler),
  remove: (signal, handler) => Deno.removeSignalListener(signal, handler),
};

/** Options of {@linkcode shutdownOnSignals}. */
export interface ShutdownOnSignalsOptions {
  /** Default `["SIGINT", "SIGTERM"]`. */
  signals?: readonly Deno.Signal[];
  /** Passed to `system.shutdown`. */
  timeoutMs?: number;
  logger?: Logger;
  source?: SignalSource;
}

/**
 * Shuts `system` down gracefully on the first of `signals`. The listeners are removed once the
 * system has terminated (so they never keep the process alive) or when the returned function is
 * called. The caller still decides the exit code from `system.terminated`.
 *
 * @example
 * ```ts ignore
 * import { createActorSystem, shutdownOnSignals } from "./mod.ts";
 * const system = createActorSystem();
 * shutdownOnSignals(system, { timeoutMs: 10_000 });
 * const { ok } = await system.terminated;
 * Deno.exit(ok ? 0 : 1);
 * ```
 */
export function shutdownOnSignals(
  system: ActorSystem,
  options: ShutdownOnSignalsOptions = {},
): () => void {
  const source = options.source ?? denoSignals;
  const signals = options.signals ?? ["SIGINT", "SIGTERM"];
  const handlers = signals.map((signal) => {
    const handler = () => {
      options.logger?.info("signal received; shutting down", { signal });
      void system.shutdown({ timeoutMs: options.timeoutMs });
    };
    source.add(signal, handler);
    return [signal, handler] as const;
  });
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    for (const [signal, handler] of handlers) source.remove(signal, handler);
  };
  system.terminated.then(remove);
  return remove;
}
