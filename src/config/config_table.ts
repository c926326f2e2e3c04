/**
 * The README's configuration table, generated from the option table so the manual cannot drift
 * from the code (a test compares them; `deno task docs:config` prints it).
 * @module
 */
import { FILE_SUFFIX, OPTIONS, type OptionSpec } from "./options.ts";

/** Markdown table of every option: flag, environment variable, default, meaning. */
export function configMarkdownTable(): string {
  const rows = Object.entries(OPTIONS).map(([name, spec]) => {
    const s = spec as OptionSpec<unknown>;
    const def = s.default === undefined ? "—" : s.default === "" ? '`""`' : `\`${s.default}\``;
    // A secret may also come from the file its `<VAR>_FILE` names (src/config/parsed_options.ts).
    const env = s.secret ? `\`${s.env}\`, \`${s.env}${FILE_SUFFIX}\`` : `\`${s.env}\``;
    return `| \`--${name}\` | ${env} | ${def} | ${s.help.replaceAll("|", "\\|")} |`;
  });
  return ["| flag | environment | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

if (import.meta.main) {
  await Deno.stdout.write(new TextEncoder().encode(configMarkdownTable() + "\n"));
}
