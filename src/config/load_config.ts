/**
 * The one configuration loader: flags over environment over `.env` over defaults. It validates
 * everything and reports every error at once; nothing else in the program reads the environment.
 * @module
 */
import { parseDotenv } from "./dotenv.ts";
import { type OptionName, OPTIONS, type OptionSpec, type OptionValues } from "./options.ts";
import { buildConfig, type PipelineConfig } from "./pipeline_config.ts";

/** Where configuration comes from; injected so tests need no real environment. */
export interface ConfigInputs {
  readonly args: readonly string[];
  readonly env: (name: string) => string | undefined;
  /** Contents of `.env`, when one exists. */
  readonly dotenv?: string;
}

/** The loader's outcome. */
export type LoadResult =
  | { readonly kind: "ok"; readonly config: PipelineConfig }
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "error"; readonly errors: readonly string[] };

/**
 * Resolves the configuration.
 *
 * @example
 * ```ts
 * const r = loadConfig({ args: ["--partitions", "4"], env: () => undefined });
 * if (r.kind === "ok") console.assert(r.config.bus.partitions === 4);
 * ```
 */
export function loadConfig(inputs: ConfigInputs): LoadResult {
  const errors: string[] = [];
  const flags = parseArgs(inputs.args, errors);
  if (flags.has("help")) return { kind: "help", text: helpText() };
  const dotenv = inputs.dotenv === undefined ? new Map<string, string>() : (() => {
    const parsed = parseDotenv(inputs.dotenv);
    errors.push(...parsed.errors);
    return parsed.values;
  })();
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec<unknown>][]) {
    const fromFlag = flags.get(name);
    const fromEnv = inputs.env(spec.env);
    const fromDotenv = dotenv.get(spec.env);
    const [raw, origin] = fromFlag !== undefined
      ? [fromFlag, `--${name}`]
      : fromEnv !== undefined
      ? [fromEnv, spec.env]
      : fromDotenv !== undefined
      ? [fromDotenv, `${spec.env} in .env`]
      : [spec.default, "default"];
    if (raw === undefined) continue;
    try {
      values[name] = spec.parse(raw);
    } catch (e) {
      errors.push(`invalid ${origin}: ${spec.secret ? "malformed value" : (e as Error).message}`);
    }
  }
  if (errors.length) return { kind: "error", errors };
  const built = buildConfig(values as OptionValues);
  if (!built.config) return { kind: "error", errors: built.errors };
  return { kind: "ok", config: built.config };
}

/** Parses `--name value`, `--name=value`, `--flag`, `--no-flag`; unknown flags are errors. */
function parseArgs(args: readonly string[], errors: string[]): Map<string, string> {
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
      const takesNext = next !== undefined && !next.startsWith("--") &&
        (!spec.boolean || /^(true|false|1|0|yes|no|on|off)$/i.test(next));
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

/** The `--help` text: every option with its environment variable and default. */
export function helpText(): string {
  const rows = Object.entries(OPTIONS).map(([name, spec]) => {
    const s = spec as OptionSpec<unknown>;
    return [`--${name}`, s.env, s.default === undefined ? "(unset)" : s.default || '""', s.help];
  });
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const w2 = Math.max(...rows.map((r) => r[2].length));
  const lines = rows.map((r) =>
    `  ${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2].padEnd(w2)}  ${r[3]}`
  );
  return [
    "crypto-pipeline: real-time crypto market data → candles, indicators, alerts",
    "",
    "usage: deno task start [options]",
    "",
    "Precedence: flags > environment > .env > defaults. Every invalid setting is reported at once",
    "and the process exits with code 2.",
    "",
    `  ${"flag".padEnd(w0)}  ${"environment".padEnd(w1)}  ${"default".padEnd(w2)}  meaning`,
    ...lines,
    "",
  ].join("\n");
}
