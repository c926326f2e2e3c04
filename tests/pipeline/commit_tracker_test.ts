import assert from "node:assert/strict";
import { CommitTracker } from "../../src/pipeline/kafka/commit_tracker.ts";

const MIN = 60_000;
const opts = { allowedLatenessMs: 2000, lateUpdateWindowMs: MIN, longestIntervalMs: 60 * MIN };

Deno.test("CommitTracker holds the commit at the oldest batch that can still change a window", () => {
  const t = new CommitTracker(opts);
  assert.equal(t.commitPoint(), null, "nothing delivered, nothing to commit");
  t.add(0, 100, 10 * MIN);
  t.add(100, 200, 30 * MIN);
  t.add(200, 300, 60 * MIN);
  assert.deepEqual(
    t.commitPoint(),
    { processed: 300, restore: 0, maxTsBefore: -Infinity, maxTs: 60 * MIN },
    "all processed, all still revisable",
  );
  // Watermark 130 min − 2 s: records before 130 − 2 s − 61 min (≈ 69 min) are finished.
  t.add(300, 400, 130 * MIN);
  assert.deepEqual(t.commitPoint(), {
    processed: 400,
    restore: 300,
    maxTsBefore: 60 * MIN,
    maxTs: 130 * MIN,
  });
});

Deno.test("CommitTracker keeps a batch with an old record if it also has a new one", () => {
  const t = new CommitTracker(opts);
  t.add(0, 10, 5 * MIN);
  t.add(10, 20, 100 * MIN); // one record of this batch is recent
  t.add(20, 30, 200 * MIN);
  assert.deepEqual(t.commitPoint(), {
    processed: 30,
    restore: 20,
    maxTsBefore: 100 * MIN,
    maxTs: 200 * MIN,
  });
});

Deno.test("CommitTracker restores the max event time before the restart point", () => {
  const t = new CommitTracker({ ...opts, maxTsBefore: 42 * MIN });
  t.add(500, 510, -Infinity); // a batch of rejected records only
  assert.deepEqual(t.commitPoint(), {
    processed: 510,
    restore: 510,
    maxTsBefore: 42 * MIN,
    maxTs: 42 * MIN,
  });
  t.add(510, 520, 50 * MIN);
  assert.deepEqual(t.commitPoint(), {
    processed: 520,
    restore: 510,
    maxTsBefore: 42 * MIN,
    maxTs: 50 * MIN,
  });
});

Deno.test("CommitTracker: while a new owner replays up to the previous commit, that is still the processed position", () => {
  const t = new CommitTracker({ ...opts, maxTsBefore: 10 * MIN, committed: 900 });
  t.add(500, 600, 20 * MIN); // replaying from the restore point 500
  assert.deepEqual(t.commitPoint(), {
    processed: 900,
    restore: 500,
    maxTsBefore: 10 * MIN,
    maxTs: 20 * MIN,
  });
  t.add(600, 1000, 30 * MIN); // past the previous commit
  assert.equal(t.commitPoint()?.processed, 1000);
});
