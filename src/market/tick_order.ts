/**
 * The total order of ticks inside a window: event time, then id, then source. Open and close
 * are the first and last tick in this order, so they do not depend on arrival order.
 * @module
 */

/**
 * The id as a number when it is a canonical decimal integer (no leading zero) that fits exactly in
 * a double (≤ 15 digits), else -1. Computed once per tick so comparisons and the seen-id set avoid re-parsing.
 *
 * @example
 * ```ts
 * import { integerId } from "./tick_order.ts";
 * integerId("12345"); // 12345
 * integerId("a-1"); // -1
 * ```
 */
export function integerId(id: string): number {
  const len = id.length;
  if (len === 0 || len > 15) return -1;
  let n = id.charCodeAt(0) - 48;
  // A leading zero would make "007" and "7" the same number though they are different ids.
  if (n < 1 || n > 9) return n === 0 && len === 1 ? 0 : -1;
  for (let i = 1; i < len; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function stripZeros(s: string): string {
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return s.slice(i);
}

function lexical(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compares two tick ids: numerically when both are non-negative decimal integers (exactly, at
 * any length), else by UTF-16 code units. Equal numbers spelled differently (`7`, `007`) fall
 * back to lexical order so the order stays total.
 *
 * @example
 * ```ts
 * import { compareIds } from "./tick_order.ts";
 * compareIds("9", "10"); // -1 (numeric)
 * compareIds("b9", "b10"); // 1 (lexical)
 * ```
 */
export function compareIds(a: string, b: string): number {
  if (isDigits(a) && isDigits(b)) {
    const x = stripZeros(a);
    const y = stripZeros(b);
    if (x.length !== y.length) return x.length < y.length ? -1 : 1;
    const c = lexical(x, y);
    if (c !== 0) return c;
  }
  return lexical(a, b);
}
