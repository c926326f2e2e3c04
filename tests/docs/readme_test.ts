import assert from "node:assert/strict";
import { configMarkdownTable } from "../../src/config/config_table.ts";
import { metricsTable } from "../../tools/update_readme.ts";

const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));

/** Table rows as trimmed cells, so formatting (padding) does not matter. */
function rows(table: string): string[][] {
  return table.split("\n").filter((l) => l.startsWith("|") && !/^\|[\s|:-]+\|$/.test(l)).map((l) =>
    l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim())
  );
}

function section(name: string): string {
  const i = readme.indexOf(`<!-- ${name}:start -->`);
  const j = readme.indexOf(`<!-- ${name}:end -->`);
  assert.ok(i >= 0 && j > i, `README has a ${name} section`);
  return readme.slice(i, j);
}

Deno.test("README: the configuration table lists every option as the code defines it", () => {
  assert.deepEqual(
    rows(section("config-table")),
    rows(configMarkdownTable()),
    "run deno task docs",
  );
});

Deno.test("README: the metric catalogue equals docs/metrics.md", async () => {
  assert.deepEqual(rows(section("metrics")), rows(await metricsTable()), "run deno task docs");
});

Deno.test("README: the quick start names exactly the two commands", () => {
  assert.ok(readme.includes("npx -y deno@2.9.6 task start"));
  assert.ok(readme.includes("npx -y deno@2.9.6 task test"));
});
