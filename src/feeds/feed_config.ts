/**
 * Validation shared by the feed configs: unknown keys rejected, types checked against the
 * defaults, every error reported at once in one {@linkcode FeedConfigError}.
 * @module
 */
import { ConfigError } from "../errors.ts";

/** A feed config was invalid; `problems` lists every problem found. */
export class FeedConfigError extends ConfigError {
  constructor(feed: string, problems: readonly string[]) {
    super(`${feed} source`, problems);
  }
}

/** A check of the merged config; returns the problems it found. */
export type ConfigCheck<T> = (config: T) => string[];

/**
 * Merges `input` over `defaults`, rejects unknown keys and values whose type differs from the
 * default's, runs `checks`, and returns a frozen config or throws {@linkcode FeedConfigError}.
 */
export function resolveConfig<T extends object>(
  feed: string,
  defaults: T,
  input: Partial<T> | undefined,
  checks: ConfigCheck<T>[],
): Readonly<T> {
  const errors: string[] = [];
  const merged = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(input ?? {})) {
    if (!(key in defaults)) {
      errors.push(`unknown option "${key}"`);
      continue;
    }
    if (value === undefined) continue;
    const expected = kind((defaults as Record<string, unknown>)[key]);
    if (kind(value) !== expected) {
      errors.push(`option "${key}" must be ${expected}, received ${kind(value)}`);
      continue;
    }
    merged[key] = value;
  }
  if (errors.length === 0) {
    for (const check of checks) errors.push(...check(merged as T));
  }
  if (errors.length) throw new FeedConfigError(feed, errors);
  return Object.freeze(merged) as Readonly<T>;
}

function kind(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (v === null) return "null";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

const SYMBOL = /^[A-Z0-9]+-[A-Z0-9]+$/;

/** Problems of a URL option: must parse and use one of `protocols` (e.g. `["ws:", "wss:"]`). */
export function checkUrl(name: string, url: string, protocols: readonly string[]): string[] {
  try {
    const u = new URL(url);
    if (!protocols.includes(u.protocol)) {
      return [`option "${name}" must use ${protocols.join(" or ")}, received "${u.protocol}"`];
    }
    return [];
  } catch {
    return [`option "${name}" is not a URL: "${url}"`];
  }
}

/** Problems of a positive-integer option (ms, counts). */
export function checkPositive(name: string, value: number, allowZero = false): string[] {
  const ok = Number.isInteger(value) && (allowZero ? value >= 0 : value > 0);
  return ok ? [] : [
    `option "${name}" must be a ${
      allowZero ? "non-negative" : "positive"
    } integer, received ${value}`,
  ];
}

/** Problems of a `BASE-QUOTE` symbol list (non-empty, upper case, no duplicates). */
export function checkSymbols(name: string, symbols: readonly unknown[], max = Infinity): string[] {
  const errors: string[] = [];
  if (symbols.length === 0) errors.push(`option "${name}" must list at least one symbol`);
  if (symbols.length > max) {
    errors.push(`option "${name}" lists ${symbols.length} symbols, at most ${max}`);
  }
  for (const s of symbols) {
    if (typeof s !== "string" || !SYMBOL.test(s)) {
      errors.push(`option "${name}" has "${String(s)}", expected BASE-QUOTE like "BTC-USD"`);
    }
  }
  if (new Set(symbols).size !== symbols.length) errors.push(`option "${name}" has duplicates`);
  return errors;
}

/** Problems of a symbol rename map (`{ "BTC-USDT": "BTC-USD" }`): values must be `BASE-QUOTE`. */
export function checkSymbolMap(name: string, map: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(map).flatMap(([k, v]) =>
    typeof v === "string" && SYMBOL.test(v)
      ? []
      : [`option "${name}" maps "${k}" to "${String(v)}", expected BASE-QUOTE like "BTC-USD"`]
  );
}
