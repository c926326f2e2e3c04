/**
 * Strict decimal-string parsing for prices and sizes that feeds send as text (`"43250.12"`).
 * @module
 */

// Plain decimal or scientific notation only: `Number()` alone would also accept "", " 1 ",
// "0x10", "Infinity" and "1_000"-like garbage that must be rejected, not coerced.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

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
  if (typeof value === "string" && value.length <= 64 && DECIMAL.test(value)) return Number(value);
  return NaN;
}
