import assert from "node:assert/strict";
import { heartbeatWhile } from "../../../src/connectors/kafka/heartbeat_while.ts";
import type { Clock } from "../../../src/clock.ts";

/** A clock whose timers fire only when the test says so. */
function manualClock() {
  const timers = new Map<number, () => void>();
  let next = 1;
  const clock: Clock = {
    now: () => 0,
    monotonic: () => 0,
    setTimeout: (fn) => (timers.set(next, fn), next++),
    clearTimeout: (h) => void timers.delete(h as number),
    sleep: () => Promise.resolve(),
  };
  const fire = async () => {
    const due = [...timers];
    timers.clear();
    for (const [, fn] of due) fn();
    await Promise.resolve();
  };
  return { clock, fire, pending: () => timers.size };
}

Deno.test("heartbeatWhile() heartbeats until the work settles, then leaves no timer", async () => {
  const { clock, fire, pending } = manualClock();
  const work = Promise.withResolvers<void>();
  let beats = 0;
  const done = heartbeatWhile(work.promise, () => (beats++, Promise.resolve()), 1000, clock);
  await fire();
  await fire();
  await fire();
  assert.equal(beats, 3);
  work.resolve();
  await done;
  assert.equal(pending(), 0);
});

Deno.test("heartbeatWhile() rethrows a heartbeat failure after the work finished", async () => {
  const { clock, fire, pending } = manualClock();
  const work = Promise.withResolvers<void>();
  const rebalancing = Object.assign(new Error("rebalancing"), { type: "REBALANCE_IN_PROGRESS" });
  let finished = false;
  const done = heartbeatWhile(work.promise, () => Promise.reject(rebalancing), 1000, clock);
  await fire();
  await fire();
  assert.equal(pending(), 0, "heartbeats continued after a failure");
  work.promise.then(() => (finished = true));
  work.resolve();
  await assert.rejects(done, (e: unknown) => e === rebalancing);
  assert.ok(finished);
});

Deno.test("heartbeatWhile() lets a failure of the work win", async () => {
  const { clock } = manualClock();
  await assert.rejects(
    heartbeatWhile(Promise.reject(new Error("sink down")), () => Promise.resolve(), 1000, clock),
    /sink down/,
  );
});
