/**
 * Candle intervals: `1m`, `5m`, `1h`… parsed once from configuration.
 * @module
 */

/** A tumbling-window length. `name` is how it is spelled in records (`1m`), `ms` its length. */
export interface Interval {
  readonly name: string;
  readonly ms: number;
}

/** The default candle intervals: 1m, 5m, 1h. */
export const DEFAULT_INTERVALS = "1m,5m,1h";

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const SPEC = /^([1-9][0-9]{0,5})(s|m|h|d)$/;

/** Thrown for an interval specification that cannot be used; `input` is what was given. */
export class IntervalError extends Error {
  /** The rejected input. */
  readonly input: string;
  constructor(input: string, why: string) {
    super(`Cannot parse interval: ${why}, received "${input}"`);
    this.name = "IntervalError";
    this.input = input;
  }
}

/**
 * Parses one interval: a positive integer and a unit `s`, `m`, `h` or `d` (lower case, since `M`
 * would be read as month). Windows align to the Unix epoch in UTC. Weeks are not offered because
 * epoch-aligned weeks start on Thursday, which nobody expects.
 *
 * @example
 * ```ts
 * import { parseInterval } from "./interval.ts";
 * parseInterval("5m"); // { name: "5m", ms: 300000 }
 * ```
 * @throws {IntervalError} on anything else.
 */
export function parseInterval(spec: string): Interval {
  const interval = tryParse(spec);
  if (interval === null) throw new IntervalError(spec, problemOf(spec));
  return interval;
}

const EXPECTED = "expected a positive integer followed by s, m, h or d";

/** Why `spec` is no interval: not of the form, or a count outside 1..999999. */
function problemOf(spec: string): string {
  return /^\d+[smhd]$/.test(spec.trim()) ? "out of range: 1 to 999999 of a unit" : EXPECTED;
}

function tryParse(spec: string): Interval | null {
  const m = SPEC.exec(spec.trim());
  return m === null ? null : { name: m[0], ms: Number(m[1]) * UNIT_MS[m[2]] };
}

/**
 * Parses a comma-separated list (`"1m,5m,1h"`), sorted by length, shortest first. Every bad entry
 * is reported at once; two spellings of the same length (`60s`, `1m`) are an error.
 *
 * @example
 * ```ts
 * import { parseIntervals } from "./interval.ts";
 * parseIntervals("1h,1m").map((i) => i.name); // ["1m", "1h"]
 * ```
 * @throws {IntervalError} listing every problem.
 */
export function parseIntervals(list: string): Interval[] {
  const out: Interval[] = [];
  const errors: string[] = [];
  for (const part of list.split(",")) {
    if (part.trim() === "") continue;
    const interval = tryParse(part);
    const same = interval && out.find((i) => i.ms === interval.ms);
    if (interval === null) errors.push(`"${part.trim()}": ${problemOf(part)}`);
    else if (same) errors.push(`"${interval.name}" repeats "${same.name}"`);
    else out.push(interval);
  }
  if (out.length === 0 && errors.length === 0) errors.push("no interval given");
  if (errors.length > 0) throw new IntervalError(list, errors.join("; "));
  return out.sort((a, b) => a.ms - b.ms);
}
