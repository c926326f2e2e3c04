import assert from "node:assert/strict";
import { CandleBook, intervalMs } from "../../web/candle_book.js";

const bar = (t: number, close: number, version = 1) => ({
  window_start: t,
  open: close,
  high: close,
  low: close,
  close,
  volume: 1,
  version,
});

Deno.test("candle book: appends at the tail, redraws all for an older or several bars", () => {
  const b = new CandleBook();
  assert.equal(b.addClosed([bar(2000, 2), bar(1000, 1)]), "all");
  assert.deepEqual(b.closed().map((c) => c.window_start), [1000, 2000]);
  assert.equal(b.addClosed([bar(3000, 3)]), "tail");
  assert.equal(b.addClosed([bar(3000, 3)]), "none", "the same version again");
  assert.equal(b.addClosed([bar(1000, 9, 2)]), "all", "a late revision of an older bar");
  assert.equal(b.closed()[0].close, 9);
  assert.equal(b.addClosed([bar(1000, 5, 1)]), "none", "an older version never wins");
  assert.equal(b.closed()[0].close, 9);
});

Deno.test("candle book: the in-progress candle follows the closed ones until its window closes", () => {
  const b = new CandleBook();
  b.addClosed([bar(1000, 1)]);
  assert.equal(b.setPartial(bar(1000, 7, 0)), false, "its window already closed");
  assert.equal(b.setPartial(bar(2000, 7, 0)), true);
  assert.deepEqual(b.bars().map((c) => [c.window_start, c.version]), [[1000, 1], [2000, 0]]);
  assert.equal(b.setPartial(bar(2000, 8, 0)), true);
  assert.equal(b.partial()?.close, 8);
  assert.equal(b.addClosed([bar(2000, 8)]), "tail");
  assert.equal(b.partial(), null);
  b.setPartial(bar(3000, 1, 0));
  assert.equal(b.addClosed([bar(4000, 2)]), "all", "a later window closed: the preview goes");
  assert.equal(b.partial(), null);
});

Deno.test("candle book: interval names", () => {
  assert.equal(intervalMs("1s"), 1000);
  assert.equal(intervalMs("5m"), 300_000);
  assert.equal(intervalMs("1h"), 3_600_000);
  assert.equal(intervalMs("2d"), 172_800_000);
  assert.ok(Number.isNaN(intervalMs("0m")));
  assert.ok(Number.isNaN(intervalMs("m")));
});
