import assert from "node:assert/strict";
import { silentLogger } from "../../src/logger.ts";
import { CommitTracker } from "../../src/pipeline/kafka/commit_tracker.ts";
import type { CommitPoint } from "../../src/pipeline/kafka/commit_tracker.ts";
import { PartitionCommitter } from "../../src/pipeline/kafka/partition_committer.ts";
import { FakeClock, settle } from "../runtime/_helpers.ts";
import { pollUntil } from "../helpers/services.ts";

const INTERVAL = 1000;
const M = 60_000;
const T0 = 1_700_000_000_000;

/** A committer over a 1m-window tracker, with barriers and commits the test controls. */
function setUp(options: { refuse?: number; refuseCall?: number } = {}) {
  const clock = new FakeClock();
  const barriers: string[] = [];
  const commits: CommitPoint[] = [];
  let refuse = options.refuse ?? 0;
  let calls = 0;
  let release: (() => void) | null = null;
  let hold = false;
  const committer = new PartitionCommitter({
    tracker: new CommitTracker({
      allowedLatenessMs: 0,
      lateUpdateWindowMs: 0,
      longestIntervalMs: M,
    }),
    intervalMs: INTERVAL,
    clock,
    log: silentLogger,
    barrier: (kind) => {
      barriers.push(kind);
      return hold ? new Promise<void>((r) => (release = r)) : Promise.resolve();
    },
    commit: (point) => {
      if (++calls === options.refuseCall) return Promise.resolve(false);
      if (refuse > 0) {
        refuse--;
        return Promise.resolve(false);
      }
      commits.push(point);
      return Promise.resolve(true);
    },
  });
  return {
    clock,
    barriers,
    commits,
    committer,
    holdBarriers: (on: boolean) => (hold = on),
    releaseBarrier: () => release?.(),
  };
}

Deno.test("PartitionCommitter commits at most once per interval, after a sync barrier", async () => {
  const t = setUp();
  t.committer.processed(0, 10, T0);
  t.committer.processed(10, 20, T0 + 3 * M); // the first batch is now finished
  t.clock.tick(INTERVAL);
  await pollUntil("the first commit", () => t.commits.length === 1, 5000, 1);
  assert.deepEqual(t.barriers, ["sync"]);
  // The processed position is committed; the restore point (the open window's batch) goes along.
  assert.deepEqual([t.commits[0].processed, t.commits[0].restore], [20, 10]);
  t.committer.processed(20, 30, T0 + 6 * M);
  await settle();
  assert.equal(t.commits.length, 1, "not again within the interval");
  t.clock.tick(INTERVAL);
  await pollUntil("the deferred commit", () => t.commits.length === 2, 5000, 1);
  assert.deepEqual([t.commits[1].processed, t.commits[1].restore], [30, 20]);
});

Deno.test("PartitionCommitter commits a quiet partition's last progress when the interval ends", async () => {
  const t = setUp();
  t.committer.processed(0, 10, T0);
  t.committer.processed(10, 20, T0 + 3 * M);
  await settle();
  assert.equal(t.commits.length, 0, "within the first interval");
  assert.equal(t.clock.pending, 1, "a timer stands in for the next batch");
  t.clock.tick(INTERVAL);
  await pollUntil("the commit without any new batch", () => t.commits.length === 1, 5000, 1);
});

Deno.test("PartitionCommitter tries a refused commit again after the interval, with no new records", async () => {
  const t = setUp({ refuse: 2 });
  t.committer.processed(0, 10, T0);
  t.committer.processed(10, 20, T0 + 3 * M);
  await settle();
  for (let i = 0; i < 3 && t.commits.length === 0; i++) {
    t.clock.tick(INTERVAL);
    await settle();
  }
  await pollUntil("the commit after two refusals", () => t.commits.length === 1, 5000, 1);
  assert.equal(t.commits[0].restore, 10);
});

Deno.test("PartitionCommitter runs one commit at a time and commits what came meanwhile after it", async () => {
  const t = setUp();
  t.holdBarriers(true);
  t.committer.processed(0, 10, T0);
  t.committer.processed(10, 20, T0 + 3 * M);
  t.clock.tick(INTERVAL);
  await pollUntil("the first barrier", () => t.barriers.length === 1, 5000, 1);
  t.clock.tick(INTERVAL);
  t.committer.processed(20, 30, T0 + 6 * M);
  await settle();
  assert.equal(t.barriers.length, 1, "no second commit while one runs");
  t.holdBarriers(false);
  t.releaseBarrier();
  await pollUntil(
    "the first commit, then the one that waited",
    () => t.commits.length === 2,
    5000,
    1,
  );
  assert.deepEqual(t.commits.map((c) => [c.processed, c.restore]), [[20, 10], [30, 20]]);
});

Deno.test("PartitionCommitter.end() flushes, commits what was processed and holds the next batch until done", async () => {
  const t = setUp();
  t.committer.processed(0, 10, T0);
  t.holdBarriers(true);
  const ended = t.committer.end();
  assert.ok(t.committer.ending, "the next batch must wait");
  await pollUntil("the flush barrier", () => t.barriers.length === 1, 5000, 1);
  assert.deepEqual(t.barriers, ["flush"]);
  t.releaseBarrier();
  await ended;
  assert.equal(t.committer.ending, null);
  // Everything delivered is processed; the windows the flush emitted early can still be revised
  // by later ticks, so a new owner must replay from the start of their batch (and the marker).
  assert.deepEqual(t.commits.map((c) => [c.processed, c.restore]), [[10, 0]]);
});

Deno.test("PartitionCommitter.end() tries a refused end-of-input commit again, with no new records", async () => {
  const t = setUp({ refuseCall: 1 });
  t.committer.processed(0, 10, T0); // within the interval: a timer stands in for the commit
  t.holdBarriers(true);
  const ended = t.committer.end();
  await pollUntil("the flush barrier", () => t.barriers.length === 1, 5000, 1);
  t.clock.tick(INTERVAL); // the timer fires while the end runs: it starts nothing
  await settle();
  t.holdBarriers(false);
  t.releaseBarrier();
  await ended;
  assert.equal(t.commits.length, 0, "the broker refused the end's commit (the group re-forming)");
  for (let i = 0; i < 3 && t.commits.length === 0; i++) {
    t.clock.tick(INTERVAL);
    await settle();
  }
  await pollUntil("the end committed after the refusal", () => t.commits.length === 1, 5000, 1);
  assert.deepEqual(t.commits.map((c) => [c.processed, c.restore]), [[10, 0]]);
});

Deno.test("PartitionCommitter.revoke() lets a commit in progress land and starts none after", async () => {
  const t = setUp();
  t.holdBarriers(true);
  t.committer.processed(0, 10, T0);
  t.committer.processed(10, 20, T0 + 3 * M);
  t.clock.tick(INTERVAL);
  await pollUntil("a commit in progress", () => t.barriers.length === 1, 5000, 1);
  let revoked = false;
  const revoking = t.committer.revoke().then(() => (revoked = true));
  await settle();
  assert.equal(revoked, false, "revocation waits for the commit in progress");
  t.releaseBarrier();
  await revoking;
  assert.equal(t.commits.length, 1);
  t.clock.tick(10 * INTERVAL);
  t.committer.processed(20, 30, T0 + 9 * M);
  await settle();
  assert.equal(t.commits.length, 1, "nothing after the revocation");
  assert.equal(t.clock.pending, 0, "no timer left");
});
