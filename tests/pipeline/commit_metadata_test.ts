import assert from "node:assert/strict";
import { commitMetadata, parseCommitMetadata } from "../../src/pipeline/kafka/kafka_admin.ts";

Deno.test("commit metadata: written and read back", () => {
  const meta = commitMetadata({ restore: 120, maxTsBefore: 1_700_000_000_000, maxTs: -Infinity });
  assert.ok(meta.length < 200, "far below the brokers' 4096-byte metadata limit");
  assert.deepEqual(parseCommitMetadata(300, meta), {
    offset: 300,
    restore: 120,
    maxTsBefore: 1_700_000_000_000,
    maxTs: undefined,
  });
});

Deno.test("commit metadata: a version-1 commit (the offset was the restore point) still restores", () => {
  const v1 = JSON.stringify({ v: 1, maxTs: 1_700_000_000_000 });
  assert.deepEqual(parseCommitMetadata(300, v1), {
    offset: 300,
    restore: 300,
    maxTsBefore: 1_700_000_000_000,
    maxTs: 1_700_000_000_000,
  });
});

Deno.test("commit metadata: anything not ours starts at the committed offset with no watermark", () => {
  const plain = { offset: 300, restore: 300 };
  for (
    const meta of [
      null,
      "",
      "not json",
      "null",
      "42",
      JSON.stringify({ v: 3, restore: 1 }),
      JSON.stringify({ v: 2, restore: "1" }),
      JSON.stringify({ v: 2, restore: 1.5 }),
      JSON.stringify({ v: 2, restore: -1 }),
      // After the committed offset: someone reset the offset with a tool; the offset wins.
      JSON.stringify({ v: 2, restore: 301 }),
    ]
  ) assert.deepEqual(parseCommitMetadata(300, meta), plain, String(meta));
});
