/**
 * Event-time normalisation: feed timestamps in seconds, ms, µs, ns or ISO 8601 → epoch ms.
 * @module
 */
import { toNumber } from "./decimal.ts";

/** 2009-01-01T00:00:00Z: nothing in this market is older, so earlier times are garbage. */
export const MIN_EVENT_TIME_MS = 1_230_768_000_000;

// Epoch magnitudes of the plausible era (2009 … ~5000) in each unit do not overlap, so the unit
// can be told from the size of the number alone.
const SECONDS_BELOW = 1e11;
const MILLIS_BELOW = 1e14;
const MICROS_BELOW = 1e17;
const NANOS_BELOW = 1e20;

// ISO 8601 with an explicit zone: without one, Date.parse would use the host's local zone and
// the same input would give different event times on different machines.
const DIGITS = /^[1-9]\d*$/;
const ISO = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)$/i;

/**
 * Converts a timestamp to integer epoch milliseconds, or NaN when it is not one.
 *
 * Numbers (or digit strings) are read by magnitude: below 1e11 seconds (fractions kept to the
 * nearest ms), below 1e14 ms, below 1e17 µs, below 1e20 ns; sub-ms parts are truncated (exactly
 * for digit strings; µs/ns as JSON numbers are already rounded to a double). Strings may also be
 * ISO 8601 with `Z` or an offset. Range checks are the caller's.
 *
 * @example
 * ```ts
 * import { toEpochMs } from "./timestamp.ts";
 * toEpochMs(1700000000123456); // 1700000000123
 * toEpochMs("2023-11-14T22:13:20.5Z"); // 1700000000500
 * ```
 */
export function toEpochMs(value: unknown): number {
  if (typeof value === "string" && value.length > 10 && value.charCodeAt(4) === 45 /* - */) {
    return ISO.test(value) ? Math.floor(Date.parse(value)) : NaN;
  }
  if (typeof value === "string" && value.length >= 15 && value.length <= 20 && DIGITS.test(value)) {
    // µs and ns exceed 2^53: cut the digits as text so no rounding creeps into the ms.
    return Number(value.slice(0, value.length - (value.length >= 18 ? 6 : 3)));
  }
  const n = toNumber(value);
  if (!(n >= 0) || n >= NANOS_BELOW) return NaN;
  if (n < SECONDS_BELOW) return Math.round(n * 1000);
  if (n < MILLIS_BELOW) return Math.floor(n);
  if (n < MICROS_BELOW) return Math.floor(n / 1000);
  return Math.floor(n / 1e6);
}
