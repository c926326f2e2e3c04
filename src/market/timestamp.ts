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
// the same input would give different event times on different machines. The fields are checked
// by hand too: Date.parse rolls `2024-02-30` over to March 1st and reads `T24:00` as the next day.
const DIGITS = /^[1-9]\d*$/;
const ISO = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)$/i;

/**
 * Converts a timestamp to integer epoch milliseconds, or NaN when it is not one.
 *
 * Numbers (or digit strings) are read by magnitude: below 1e11 seconds (fractions kept to the
 * nearest ms), below 1e14 ms, below 1e17 µs, below 1e20 ns; sub-ms parts are truncated (exactly
 * for digit strings; µs/ns as JSON numbers are already rounded to a double). Strings may also be
 * ISO 8601 with `Z` or an offset, whose fields must name a real instant: month 1–12, a day that
 * exists in that month (leap years included), hour 0–23 (`24:00` is refused), minute and second
 * 0–59 (a leap second `:60` is refused: epoch time has none), offset at most ±23:59. Range checks
 * are the caller's.
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
    return ISO.test(value) && realInstant(value) ? Math.floor(Date.parse(value)) : NaN;
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

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether the fields of `s` (which matches `ISO`, so its digits sit at fixed places) exist: no
 * rolling over into the next day or month. Read by character codes, not a regex with captures:
 * this is on the path of every ISO tick (Kraken's), and captures doubled its cost.
 */
function realInstant(s: string): boolean {
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  if (month < 1 || month > 12 || day < 1) return false;
  const year = twoDigits(s, 0) * 100 + twoDigits(s, 2);
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0)) return false;
  if (twoDigits(s, 11) > 23 || twoDigits(s, 14) > 59) return false;
  if (s.charCodeAt(16) === 58 /* : */ && twoDigits(s, 17) > 59) return false;
  const n = s.length;
  if ((s.charCodeAt(n - 1) | 0x20) === 122 /* z */) return true;
  // The offset: ±hh:mm or ±hhmm at the end.
  const hh = s.charCodeAt(n - 3) === 58 ? n - 5 : n - 4;
  return twoDigits(s, hh) < 24 && twoDigits(s, n - 2) < 60;
}

function twoDigits(s: string, i: number): number {
  return (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;
}
