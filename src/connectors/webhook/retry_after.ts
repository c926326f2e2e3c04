/**
 * Parsing of the HTTP `Retry-After` header (RFC 9110 §10.2.3).
 * @module
 */

/**
 * The delay in ms a `Retry-After` value asks for: delta-seconds (`"120"`) or an HTTP-date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`, relative to `nowMs`). Undefined when absent or invalid;
 * a date in the past gives 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRetryAfter } from "./retry_after.ts";
 * assert.equal(parseRetryAfter("7", 0), 7000);
 * assert.equal(parseRetryAfter("Thu, 01 Jan 1970 00:00:09 GMT", 1000), 8000);
 * ```
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
