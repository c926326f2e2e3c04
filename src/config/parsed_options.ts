/**
 * Every option's value from its highest-precedence origin (flag > environment > `.env` >
 * default), parsed, with what failed and where each value came from — the input of the loader's
 * later checks, which skip rules whose options were already reported invalid.
 * @module
 */
import { type OptionName, OPTIONS, type OptionSpec, type OptionValues } from "./options.ts";

/** The parsed options. */
export interface ParsedOptions {
  /** Parsed values; an invalid or unset option (without default) is undefined. */
  readonly values: OptionValues;
  /** Options whose value did not parse (already reported). */
  readonly invalid: ReadonlySet<OptionName>;
  /** Where an option's value came from, as error messages name it: `--flag`, `VAR`, `VAR in .env`. */
  origin(name: OptionName): string;
}

/** Where raw values come from. */
export interface RawOptionSources {
  readonly flags: ReadonlyMap<string, string>;
  readonly env: (name: string) => string | undefined;
  readonly dotenv: ReadonlyMap<string, string>;
}

/** Parses every option; each value that does not parse adds one error to `errors`. */
export function parseOptions(sources: RawOptionSources, errors: string[]): ParsedOptions {
  const values: Record<string, unknown> = {};
  const invalid = new Set<OptionName>();
  const origins = new Map<OptionName, string>();
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec<unknown>][]) {
    const fromFlag = sources.flags.get(name);
    const fromEnv = sources.env(spec.env);
    const fromDotenv = sources.dotenv.get(spec.env);
    const [raw, origin] = fromFlag !== undefined
      ? [fromFlag, `--${name}`]
      : fromEnv !== undefined
      ? [fromEnv, spec.env]
      : fromDotenv !== undefined
      ? [fromDotenv, `${spec.env} in .env`]
      : [spec.default, "default"];
    origins.set(name, origin);
    if (raw === undefined) continue;
    try {
      values[name] = spec.parse(raw);
    } catch (e) {
      invalid.add(name);
      errors.push(`invalid ${origin}: ${spec.secret ? "malformed value" : (e as Error).message}`);
    }
  }
  return {
    values: values as OptionValues,
    invalid,
    origin: (name) => origins.get(name) ?? `--${name}`,
  };
}
