import assert from "node:assert/strict";
import { readCatalogue, startFakeExporter } from "./fake_exporter.ts";
import { checkPromQL } from "./promql_check.ts";
import { requireTool } from "./tools.ts";

Deno.test("every dashboard and alert PromQL evaluates on Prometheus; panels return data", async () => {
  if (!(await requireTool("prometheus"))) return;
  const exporter = startFakeExporter(await readCatalogue());
  try {
    const report = await checkPromQL(exporter.target, { requireData: true });
    assert.deepEqual(report.problems, [], report.problems.join("\n"));
    assert.ok(report.panelExpressions >= 40, `only ${report.panelExpressions} panel expressions`);
    assert.ok(report.ruleExpressions >= 10, `only ${report.ruleExpressions} rules loaded`);
  } finally {
    await exporter.stop();
  }
});

Deno.test("every metric a dashboard or alert uses is in docs/metrics.md", async () => {
  const names = new Set((await readCatalogue()).map((m) => m.name));
  const sources = [
    ...(await Array.fromAsync(
      Deno.readDir(new URL("../../monitoring/grafana/dashboards/", import.meta.url)),
    ))
      .map((e) => new URL(`../../monitoring/grafana/dashboards/${e.name}`, import.meta.url)),
    new URL("../../monitoring/alerts.yml", import.meta.url),
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
  const dir = new URL("../../monitoring/grafana/dashboards/", import.meta.url);
  let text = "";
  for await (const e of Deno.readDir(dir)) text += await Deno.readTextFile(new URL(e.name, dir));
  const unused = (await readCatalogue()).map((m) => m.name).filter((n) => !text.includes(n));
  assert.deepEqual(unused, [], "catalogue metrics no dashboard shows");
});
