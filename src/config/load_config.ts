/**
 * The one configuration loader: flags over environment over `.env` over defaults. It validates
 * everything in one pass — each option, the rules that span options, the selected feeds' and
 * connectors' own checks, the replay file — and reports every error at once; nothing else in the
 * program reads the environment.
 * @module
 */
import { parseArgs } from "./args.ts";
import { connectorErrors } from "./connector_checks.ts";
import { parseDotenv } from "./dotenv.ts";
import { resolveFeedConfigs } from "./feed_configs.ts";
import { optionRuleErrors } from "./option_rules.ts";
import { OPTIONS, type OptionSpec } from "./options.ts";
import { parseOptions, type ReadTextFile } from "./parsed_options.ts";
import { assemblePipelineConfig, type PipelineConfig } from "./pipeline_config.ts";
import { type FileProbe, replayFileErrors } from "./replay_file_checks.ts";
import { readTlsFiles } from "./tls_files.ts";

/** Where configuration comes from; injected so tests need no real environment. */
export interface ConfigInputs {
  readonly args: readonly string[];
  readonly env: (name: string) => string | undefined;
  /** Contents of `.env`, when one exists. */
  readonly dotenv?: string;
  /**
   * Looks at the replay file (`probeFileSystem` in src/config/replay_file_checks.ts). The
   * program always passes it; without it (in-process tests) the file is not looked at.
   */
  readonly probeFile?: FileProbe;
  /**
   * Reads the files options name: secrets' `<VAR>_FILE`s and TLS files. Default
   * `Deno.readTextFileSync`; tests pass a fake.
   */
  readonly readFile?: ReadTextFile;
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
  const readFile = inputs.readFile ?? Deno.readTextFileSync;
  const parsed = parseOptions({ flags, env: inputs.env, dotenv, readFile }, errors);
  const feeds = resolveFeedConfigs(parsed);
  errors.push(...feeds.errors);
  errors.push(...optionRuleErrors(parsed));
  const tls = readTlsFiles(parsed, readFile);
  errors.push(...tls.errors);
  const config = assemblePipelineConfig(parsed.values, feeds.configs, {
    tls: tls.material,
    files: [...parsed.files, ...tls.files],
  });
  errors.push(...connectorErrors(config));
  errors.push(...replayFileErrors(parsed, inputs.probeFile));
  if (errors.length) return { kind: "error", errors };
  return { kind: "ok", config };
}

/** The `--help` text: every option with its environment variable and default. */
export function helpText(): string {
  const rows = Object.entries(OPTIONS).map(([name, spec]) => {
    const s = spec as OptionSpec<unknown>;
    const env = s.secret ? `${s.env} *` : s.env;
    return [`--${name}`, env, s.default === undefined ? "(unset)" : s.default || '""', s.help];
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
    "and the process exits with code 2. Give URLs with passwords and API keys through the",
    "environment or .env: deno task echoes its command line, and command lines show in ps.",
    "Every secret (marked *) may instead be read from a file named by <VAR>_FILE, e.g.",
    "KAFKA_SASL_PASSWORD_FILE=/run/secrets/kafka-password (one final newline is dropped).",
    "",
    `  ${"flag".padEnd(w0)}  ${"environment".padEnd(w1)}  ${"default".padEnd(w2)}  meaning`,
    ...lines,
    "",
  ].join("\n");
}
