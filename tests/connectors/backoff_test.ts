import assert from "node:assert/strict";
import { Backoff, ConnectBudget } from "../../src/connectors/backoff.ts";
import { RecentIds } from "../../src/feeds/recent_ids.ts";
import { parseRetryAfter } from "../../src/connectors/retry_after.ts";

Deno.test("Backoff.next() doubles up to the cap and reset() starts again", () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.next()), [100, 200, 400, 800, 1_000, 1_000]);
  b.reset();
  assert.equal(b.next(), 100);
});

Deno.test("Backoff.next() jitters down by at most the jitter fraction", () => {
  const values = [0, 0.5, 0.999];
  let i = 0;
  const b = new Backoff(
    { initialMs: 1_000, maxMs: 1_000, factor: 2, jitter: 0.5 },
    () => values[i++],
  );
  assert.deepEqual([b.next(), b.next(), b.next()], [1_000, 750, 500]);
});

Deno.test("ConnectBudget.waitMs() waits until the oldest attempt leaves the window", () => {
  const budget = new ConnectBudget({ max: 3, windowMs: 600_000 });
  assert.equal(budget.waitMs(0), 0);
  budget.record(0);
  budget.record(1_000);
  assert.equal(budget.waitMs(2_000), 0);
  budget.record(3_000);
  assert.equal(budget.waitMs(3_000), 597_000);
  assert.equal(budget.waitMs(700_000), 0);
  budget.record(700_000);
  assert.equal(budget.waitMs(700_000), 0, "attempts older than the window no longer count");
});

Deno.test("RecentIds.add() reports repeats per symbol and forgets the oldest beyond capacity", () => {
  const ids = new RecentIds(2);
  assert.equal(ids.add("BTC-USD", "1"), true);
  assert.equal(ids.add("BTC-USD", "1"), false);
  assert.equal(ids.add("ETH-USD", "1"), true, "ids are per symbol");
  assert.equal(ids.add("BTC-USD", "2"), true);
  assert.equal(ids.add("BTC-USD", "3"), true);
  assert.equal(ids.add("BTC-USD", "1"), true, "evicted");
  assert.equal(ids.add("BTC-USD", "3"), false);
});

Deno.test("parseRetryAfter() reads seconds and HTTP dates, caps them, ignores junk", () => {
  const now = Date.UTC(2026, 0, 1);
  assert.equal(parseRetryAfter("30", now, 60_000), 30_000);
  assert.equal(parseRetryAfter("3600", now, 60_000), 60_000);
  assert.equal(parseRetryAfter(new Date(now + 5_000).toUTCString(), now, 60_000), 5_000);
  assert.equal(parseRetryAfter(new Date(now - 5_000).toUTCString(), now, 60_000), 0);
  assert.equal(parseRetryAfter("soon", now, 60_000), undefined);
  assert.equal(parseRetryAfter(null, now, 60_000), undefined);
  // Not delta-seconds, not a date (Date.parse would read both as a year): ignored, not "now".
  assert.equal(parseRetryAfter("1.5", now, 60_000), undefined);
  assert.equal(parseRetryAfter("-1", now, 60_000), undefined);
});
