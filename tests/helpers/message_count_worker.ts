/**
 * A worker for tests/runtime/worker_channel_test.ts: answers every request with the number of
 * requests its message carried, so a test sees how the channel grouped them.
 * @module
 */
/// <reference lib="deno.worker" />
let settings = true;
self.onmessage = (e: MessageEvent<{ id: number }[]>) => {
  if (settings) {
    settings = false; // the first message is the channel's settings
    return;
  }
  self.postMessage(e.data.map((r) => ({ id: r.id, result: e.data.length })));
};
