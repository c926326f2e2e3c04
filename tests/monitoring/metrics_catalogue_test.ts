/**
 * docs/metrics.md is the contract between the code and the dashboards: every metric the code
 * registers is in it, every metric in it is registered by the code, and the dashboards and
 * alerts use only catalogued metrics and show every one (with the exceptions below).
 * @module
 */
import assert from "node:assert/strict";
import { readCatalogue } from "./fake_exporter.ts";

const ROOT = new URL("../../", import.meta.url);

/** Catalogued metrics no dashboard needs to show, with the reason. */
export const NOT_ON_DASHBOARDS: Readonly<Record<string, string>> = {
  pipeline_scrape_publishers: "internal: how many components publish their counts at scrape time",
};

async function* sourceFiles(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    const url = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) yield* sourceFiles(url);
    else if (e.name.endsWith(".ts")) yield url;
  }
}

/** Every `"pipeline_…"` string literal in src/ and actors/, with the files it is in. */
async function metricNamesInCode(): Promise<Map<string, string[]>> {
  const names = new Map<string, string[]>();
  for (const dir of ["src/", "actors/"]) {
    for await (const file of sourceFiles(new URL(dir, ROOT))) {
      const text = await Deno.readTextFile(file);
      for (const [, name] of text.matchAll(/["'`](pipeline_[a-z0-9_]+)["'`]/g)) {
        const where = file.pathname.slice(ROOT.pathname.length);
        names.set(name, [...new Set([...(names.get(name) ?? []), where])]);
      }
    }
  }
  return names;
}

Deno.test("every metric of docs/metrics.md is registered by the code, and every registered metric is catalogued", async () => {
  const catalogue = new Set((await readCatalogue()).map((m) => m.name));
  const code = await metricNamesInCode();
  const notInCode = [...catalogue].filter((n) => !code.has(n));
  assert.deepEqual(notInCode, [], "catalogued metrics that no code in src/ or actors/ names");
  const notCatalogued = [...code].filter(([n]) => !catalogue.has(n)).map(([n, f]) =>
    `${n} (${f.join(", ")})`
  );
  assert.deepEqual(notCatalogued, [], "metric names in the code missing from docs/metrics.md");
});

Deno.test("every metric a dashboard or alert uses is in docs/metrics.md", async () => {
  const names = new Set((await readCatalogue()).map((m) => m.name));
  const dir = new URL("monitoring/grafana/dashboards/", ROOT);
  const sources = [
    ...(await Array.fromAsync(Deno.readDir(dir))).map((e) => new URL(e.name, dir)),
    new URL("monitoring/alerts.yml", ROOT),
  ];
  const unknown = new Set<string>();
  for (const file of sources) {
    const text = await Deno.readTextFile(file);
    for (const [used] of text.matchAll(/\bpipeline_[a-z_]+/g)) {
      const base = used.replace(/_(bucket|sum|count)$/, "");
      if (!names.has(used) && !names.has(base)) {
        unknown.add(`${used} (${file.pathname.split("/").pop()})`);
      }
    }
  }
  assert.deepEqual([...unknown], [], "metrics not in the catalogue");
});

Deno.test("every metric of the catalogue is shown on some dashboard", async () => {
  const dir = new URL("monitoring/grafana/dashboards/", ROOT);
  let text = "";
  for await (const e of Deno.readDir(dir)) text += await Deno.readTextFile(new URL(e.name, dir));
  const unused = (await readCatalogue()).map((m) => m.name).filter((n) =>
    !text.includes(n) && !(n in NOT_ON_DASHBOARDS)
  );
  assert.deepEqual(unused, [], "catalogue metrics no dashboard shows");
});
