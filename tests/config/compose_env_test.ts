import assert from "node:assert/strict";
import { OPTIONS } from "../../src/config/options.ts";

Deno.test("compose.yaml sets only environment variables the pipeline reads", async () => {
  const text = await Deno.readTextFile(new URL("../../compose.yaml", import.meta.url));
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.includes("environment: &pipeline-env"));
  assert.ok(start >= 0, "compose.yaml has the shared pipeline environment");
  const indent = lines[start + 1].search(/\S/);
  const keys: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    if (line.search(/\S/) < indent) break;
    const m = /^\s*([A-Z0-9_]+):/.exec(line);
    if (m) keys.push(m[1]);
  }
  // Per-service settings (ROLE, group ids) are set on the services themselves.
  for (const m of text.matchAll(/^\s+(ROLE|KAFKA_GROUP_ID|KAFKA_ARCHIVE_GROUP_ID|HTTP_ADDR):/gm)) {
    keys.push(m[1]);
  }
  const known = new Set(Object.values(OPTIONS).map((o) => o.env));
  assert.ok(keys.length >= 5, `found the variables: ${keys}`);
  assert.deepEqual(keys.filter((k) => !known.has(k)), [], "unknown variables would be ignored");
});
