/**
 * Regenerates the README sections that mirror the code: the configuration table (from
 * src/config/options.ts) and the metric catalogue (from docs/metrics.md). A test fails when the
 * README is stale; run `deno task docs` to fix it.
 * @module
 */
import { configMarkdownTable } from "../src/config/config_table.ts";

const root = new URL("..", import.meta.url);
const readmePath = new URL("README.md", root);

/** The metric table of docs/metrics.md (its first Markdown table). */
export async function metricsTable(): Promise<string> {
  const text = await Deno.readTextFile(new URL("docs/metrics.md", root));
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith("|"));
  let end = start;
  while (end < lines.length && lines[end].startsWith("|")) end++;
  return lines.slice(start, end).join("\n");
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->`. */
export function replaceSection(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README has no ${name} section`);
  return text.slice(0, i + start.length) + "\n\n" + body + "\n\n" + text.slice(j);
}

if (import.meta.main) {
  let text = await Deno.readTextFile(readmePath);
  text = replaceSection(text, "config-table", configMarkdownTable());
  text = replaceSection(text, "metrics", await metricsTable());
  await Deno.writeTextFile(readmePath, text);
  const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", readmePath.pathname] })
    .output();
  if (!fmt.success) throw new Error("deno fmt README.md failed");
}
