import assert from "node:assert/strict";
import { requireTool, run } from "./tools.ts";

Deno.test("promtool check config accepts monitoring/prometheus.yml", async () => {
  if (!(await requireTool("promtool"))) return;
  const r = await run("promtool", ["check", "config", "monitoring/prometheus.yml"]);
  assert.equal(r.code, 0, `promtool check config failed:\n${r.stdout}${r.stderr}`);
});

Deno.test("promtool check rules accepts monitoring/alerts.yml", async () => {
  if (!(await requireTool("promtool"))) return;
  const r = await run("promtool", ["check", "rules", "monitoring/alerts.yml"]);
  assert.equal(r.code, 0, `promtool check rules failed:\n${r.stdout}${r.stderr}`);
  const found = Number(r.stdout.match(/SUCCESS: (\d+) rules found/)?.[1] ?? 0);
  assert.ok(found >= 10, `expected the full rule set, promtool found ${found}`);
});

Deno.test("alerts.yml covers the required alert families", async () => {
  const text = await Deno.readTextFile(new URL("../../monitoring/alerts.yml", import.meta.url));
  const alerts = [...text.matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]);
  for (
    const required of [
      "PipelineInstanceDown",
      "ConsumerLagGrowing",
      "ActorCrashLooping",
      "DeadLetterRateHigh",
      "FeedStale",
      "SinkErrors",
    ]
  ) {
    assert.ok(alerts.includes(required), `alert ${required} missing; have ${alerts.join(", ")}`);
  }
});
