/**
 * The command line → raw option values, for the config loader.
 * @module
 */
import { OPTIONS, type OptionSpec } from "./options.ts";

/**
 * Parses `--name value`, `--name=value`, `--flag`, `--no-flag` and `-h`/`--help` (as `help`);
 * every problem (unknown option, stray argument, missing value) is pushed to `errors`.
 *
 * A boolean flag takes the next argument as its value unless that argument is an option (starts
 * with `-`): the program has no positional arguments, so `--exit-at-end maybe` can only be a
 * misspelt value, and is reported as one ("expected true or false") rather than as a stray word.
 */
export function parseArgs(args: readonly string[], errors: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-h" || arg === "--help") {
      out.set("help", "");
      continue;
    }
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) {
      errors.push(`unexpected argument "${arg}" (options start with --; see --help)`);
      continue;
    }
    let name = m[1];
    let value: string | undefined = m[2];
    let spec = (OPTIONS as Record<string, OptionSpec<unknown>>)[name];
    if (!spec && name.startsWith("no-")) {
      const positive = (OPTIONS as Record<string, OptionSpec<unknown>>)[name.slice(3)];
      if (positive?.boolean && value === undefined) {
        name = name.slice(3);
        spec = positive;
        value = "false";
      }
    }
    if (!spec) {
      errors.push(`unknown option --${name} (see --help)`);
      continue;
    }
    if (value === undefined) {
      const next = args[i + 1];
      const takesNext = next !== undefined &&
        (spec.boolean ? !next.startsWith("-") : !next.startsWith("--"));
      value = takesNext ? (i++, next) : spec.boolean ? "true" : undefined;
      if (value === undefined) {
        errors.push(`option --${name} needs a value`);
        continue;
      }
    }
    out.set(name, value);
  }
  return out;
}
