/**
 * Rule `feed_stale`: a source has sent nothing for a symbol for too long.
 * @module
 */
import type { Finding } from "./price_spike.ts";

/**
 * Silence in ms when `nowMs − lastSeenMs` ≥ `staleAfterMs` (critical from five times that),
 * else null. Both times are processing time.
 *
 * @example
 * ```ts
 * import { feedStale } from "./feed_stale.ts";
 * feedStale(0, 90_000, 60_000); // { value: 90000, severity: "warning" }
 * ```
 */
export function feedStale(lastSeenMs: number, nowMs: number, staleAfterMs: number): Finding | null {
  const silence = nowMs - lastSeenMs;
  if (silence < staleAfterMs) return null;
  return { value: silence, severity: silence >= 5 * staleAfterMs ? "critical" : "warning" };
}
