/**
 * Strict decimal-string parsing for prices and sizes that feeds send as text (`"43250.12"`).
 * @module
 */

/**
 * A number from a JSON number or a decimal string; NaN for anything else (so callers range-check
 * once).
 *
 * @example
 * ```ts
 * import { toNumber } from "./decimal.ts";
 * toNumber("43250.12"); // 43250.12
 * toNumber("0x10"); // NaN
 * ```
 */
export function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.length <= 64 && isDecimal(value)) return Number(value);
  return NaN;
}

/**
 * Plain decimal or scientific notation only, i.e. `/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/`:
 * `Number()` alone would also accept "", " 1 ", "0x10", "Infinity" and "1_000"-like garbage that
 * must be rejected, not coerced. Scanned by hand because this runs for every string price and
 * size, and the scan costs a fraction of the regex test.
 */
export function isDecimal(s: string): boolean {
  const n = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 43 /* + */ || c === 45 /* - */) c = s.charCodeAt(++i);
  let digits = 0;
  while (c >= 48 && c <= 57) {
    digits++;
    c = s.charCodeAt(++i);
  }
  if (c === 46 /* . */) {
    c = s.charCodeAt(++i);
    while (c >= 48 && c <= 57) {
      digits++;
      c = s.charCodeAt(++i);
    }
  }
  if (digits === 0) return false;
  if (c === 101 /* e */ || c === 69 /* E */) {
    c = s.charCodeAt(++i);
    if (c === 43 || c === 45) c = s.charCodeAt(++i);
    const start = i;
    while (c >= 48 && c <= 57) c = s.charCodeAt(++i);
    if (i === start) return false;
  }
  return i === n;
}
