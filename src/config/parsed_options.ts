/**
 * Every option's value from its highest-precedence origin (flag > environment > `.env` >
 * default), parsed, with what failed and where each value came from — the input of the loader's
 * later checks, which skip rules whose options were already reported invalid.
 *
 * A secret option (`secret: true`) may also be given as a file: `<VAR>_FILE` names a file whose
 * content is the value, minus one trailing line break (Docker and Kubernetes mount secrets as
 * files, and editors end files with a newline). `<VAR>_FILE` stands where `<VAR>` stands in the
 * precedence — the environment's beats `.env`'s, a flag beats both — and setting `<VAR>` and
 * `<VAR>_FILE` at the same level is an error: which one was meant cannot be guessed.
 * @module
 */
import { parsePath } from "./value_parsers.ts";
import {
  FILE_SUFFIX,
  type OptionName,
  OPTIONS,
  type OptionSpec,
  type OptionValues,
} from "./options.ts";

/** The parsed options. */
export interface ParsedOptions {
  /** Parsed values; an invalid or unset option (without default) is undefined. */
  readonly values: OptionValues;
  /** Options whose value did not parse (already reported). */
  readonly invalid: ReadonlySet<OptionName>;
  /** Where an option's value came from, as error messages name it: `--flag`, `VAR`, `VAR in .env`. */
  origin(name: OptionName): string;
  /** The `<VAR>_FILE` files values were read from, as given (the launcher grants each). */
  readonly files: readonly string[];
}

/** Reads a whole text file; throws when it cannot. */
export type ReadTextFile = (path: string) => string;

/** Where raw values come from. */
export interface RawOptionSources {
  readonly flags: ReadonlyMap<string, string>;
  readonly env: (name: string) => string | undefined;
  readonly dotenv: ReadonlyMap<string, string>;
  /** Reads `<VAR>_FILE` files. Default `Deno.readTextFileSync`. */
  readonly readFile?: ReadTextFile;
}

interface Raw {
  readonly raw: string | undefined;
  readonly origin: string;
  /** The file the value is to be read from (`<VAR>_FILE`). */
  readonly file?: string;
}

/** Parses every option; each value that does not parse adds one error to `errors`. */
export function parseOptions(sources: RawOptionSources, errors: string[]): ParsedOptions {
  const values: Record<string, unknown> = {};
  const invalid = new Set<OptionName>();
  const origins = new Map<OptionName, string>();
  const files: string[] = [];
  const readFile = sources.readFile ?? Deno.readTextFileSync;
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec<unknown>][]) {
    let found: Raw;
    try {
      found = rawValue(name, spec, sources);
    } catch (e) {
      invalid.add(name);
      errors.push((e as Error).message);
      continue;
    }
    origins.set(name, found.origin);
    let raw = found.raw;
    if (found.file !== undefined) {
      try {
        raw = withoutFinalNewline(readFile(found.file));
        files.push(found.file);
      } catch (e) {
        invalid.add(name);
        errors.push(
          `invalid ${found.origin}: cannot read "${found.file}" (${(e as Error).message})`,
        );
        continue;
      }
    }
    if (raw === undefined) continue;
    try {
      values[name] = spec.parse(raw);
    } catch (e) {
      invalid.add(name);
      const why = spec.secret ? "malformed value" : (e as Error).message;
      errors.push(`invalid ${found.origin}: ${why}`);
    }
  }
  return {
    values: values as OptionValues,
    invalid,
    origin: (name) => origins.get(name) ?? `--${name}`,
    files,
  };
}

/** The raw value of one option and where it comes from; throws an Error for a conflict. */
function rawValue(name: string, spec: OptionSpec<unknown>, sources: RawOptionSources): Raw {
  const fromFlag = sources.flags.get(name);
  if (fromFlag !== undefined) return { raw: fromFlag, origin: `--${name}` };
  const fileVar = spec.secret ? `${spec.env}${FILE_SUFFIX}` : undefined;
  const levels = [
    { get: sources.env, where: "" },
    { get: (v: string) => sources.dotenv.get(v), where: " in .env" },
  ];
  for (const { get, where } of levels) {
    const plain = get(spec.env);
    // An empty `<VAR>_FILE=` is unset, as compose files write optional variables.
    const file = fileVar === undefined ? undefined : nonEmpty(get(fileVar));
    if (plain !== undefined && file !== undefined) {
      throw new Error(
        `${spec.env} and ${fileVar} are both set${where}: give the value or the file, not both`,
      );
    }
    if (file !== undefined) {
      const origin = `${fileVar}${where}`;
      try {
        return { raw: undefined, origin, file: parsePath(file) };
      } catch (e) {
        throw new Error(`invalid ${origin}: ${(e as Error).message}`);
      }
    }
    if (plain !== undefined) return { raw: plain, origin: `${spec.env}${where}` };
  }
  return { raw: spec.default, origin: "default" };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** `text` without one final `\n` or `\r\n`: what `echo secret > file` adds. */
export function withoutFinalNewline(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}
