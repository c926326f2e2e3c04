/**
 * Bounding one step of a stop by what is left of its deadline.
 * @module
 */
import type { Clock } from "../clock.ts";

/**
 * Runs `work` and waits for it at most `ms`: true when it finished (or failed) in time, false when
 * the time ran out first (it goes on in the background; its result is ignored).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemClock } from "../clock.ts";
 * import { runWithin } from "./run_within.ts";
 * assert.equal(await runWithin(() => new Promise(() => {}), 10, systemClock), false);
 * ```
 */
export async function runWithin(
  work: () => Promise<unknown>,
  ms: number,
  clock: Clock,
): Promise<boolean> {
  const timer = new AbortController();
  const done = Promise.resolve().then(work).then(() => true, () => true);
  const expired = clock.sleep(Math.max(0, ms), timer.signal).then(() => false, () => true);
  try {
    return await Promise.race([done, expired]);
  } finally {
    timer.abort();
  }
}
