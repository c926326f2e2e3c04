/**
 * Parsing of the HTTP `Retry-After` header (RFC 9110 §10.2.3), for every HTTP client here (the
 * feeds' REST polling, the alert webhook).
 * @module
 */

/**
 * The delay in ms a `Retry-After` value asks for: delta-seconds (`"120"`, digits only) or an
 * HTTP-date (`"Wed, 21 Oct 2015 07:28:00 GMT"`, relative to `nowMs`), at most `maxMs`. Undefined
 * when absent or invalid (`"1.5"`, `"-1"`, `"soon"`); a date in the past gives 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRetryAfter } from "./retry_after.ts";
 * assert.equal(parseRetryAfter("7", 0), 7000);
 * assert.equal(parseRetryAfter("Thu, 01 Jan 1970 00:00:09 GMT", 1000), 8000);
 * ```
 */
export function parseRetryAfter(
  value: string | null,
  nowMs: number,
  maxMs = Infinity,
): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    // Date.parse reads "1.5" or "-1" as dates: an HTTP-date always has a month or day name.
    if (!/[a-z]/i.test(v)) return undefined;
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(maxMs, Math.max(0, ms));
}
