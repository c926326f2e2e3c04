/**
 * Runtime warnings (Node's `process.emitWarning`, which Deno's Node compatibility layer also
 * emits) go to the structured logger instead of a free-form stderr line, so log collectors parse
 * every line of the pipeline's output.
 * @module
 */
import process from "node:process";
import type { Logger } from "../logger.ts";

/**
 * Warnings known to be harmless, logged at debug. kafkajs 2.2.4's request queue schedules its
 * pending-request check `throttledUntil - Date.now()` ms ahead while `throttledUntil` is still its
 * initial −1 (network/requestQueue: `scheduleCheckPendingRequests`), a negative delay the runtime
 * clamps to 1 ms and reports once per process.
 */
const HARMLESS: ReadonlySet<string> = new Set(["TimeoutNegativeWarning"]);

/**
 * Replaces the runtime's printing of warnings with `log` (warn, or debug for the harmless ones
 * above). Returns a function that restores the previous listeners.
 *
 * @example
 * ```ts
 * import { routeRuntimeWarnings } from "./runtime_warnings.ts";
 * import { silentLogger } from "../logger.ts";
 * const restore = routeRuntimeWarnings(silentLogger);
 * restore();
 * ```
 */
export function routeRuntimeWarnings(log: Logger): () => void {
  const previous = process.listeners("warning");
  process.removeAllListeners("warning");
  const onWarning = (w: Error) => {
    const fields = { warning: w.name, detail: w.message };
    if (HARMLESS.has(w.name)) log.debug("runtime warning", fields);
    else log.warn("runtime warning", fields);
  };
  process.on("warning", onWarning);
  return () => {
    process.off("warning", onWarning);
    for (const l of previous) process.on("warning", l as (w: Error) => void);
  };
}
