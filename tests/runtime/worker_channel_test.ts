/**
 * The worker channel's grouping: requests made in one event-loop task travel as one message, or
 * each at once with `immediate` (SQLite's tick writer, asked one thing at a time).
 */
import assert from "node:assert/strict";
import { WorkerChannel } from "../../src/runtime/worker_channel.ts";

const MODULE = new URL("../helpers/message_count_worker.ts", import.meta.url);

Deno.test("worker channel: requests of one task travel as one message", async () => {
  const channel = new WorkerChannel<{ n: number }, number>(MODULE, {}, "test worker");
  try {
    const replies = await Promise.all([1, 2, 3].map((n) => channel.request({ n })));
    assert.deepEqual(replies, [3, 3, 3]);
  } finally {
    channel.terminate();
  }
});

Deno.test("worker channel: with immediate, each request is its own message, replies in order", async () => {
  const channel = new WorkerChannel<{ n: number }, number>(MODULE, {}, "test worker", {
    immediate: true,
  });
  try {
    const replies = await Promise.all([1, 2, 3].map((n) => channel.request({ n })));
    assert.deepEqual(replies, [1, 1, 1]);
    channel.terminate();
    await assert.rejects(channel.request({ n: 4 }), /terminated/);
  } finally {
    channel.terminate();
  }
});
