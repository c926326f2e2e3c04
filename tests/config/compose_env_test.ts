import assert from "node:assert/strict";
import { OPTIONS } from "../../src/config/options.ts";
import { loadCompose, pipelineServices } from "../deploy/compose_file.ts";

Deno.test("compose.yaml sets only environment variables the pipeline reads", async () => {
  const known = new Set(Object.values(OPTIONS).map((o) => o.env));
  const services = pipelineServices(await loadCompose());
  assert.deepEqual(services.map(([name]) => name), ["ingest", "process", "archive"]);
  for (const [name, spec] of services) {
    const keys = Object.keys(spec.environment ?? {});
    assert.ok(keys.length >= 5, `${name}: found the variables ${keys}`);
    assert.deepEqual(
      keys.filter((k) => !known.has(k)),
      [],
      `${name}: unknown variables are ignored`,
    );
  }
});
