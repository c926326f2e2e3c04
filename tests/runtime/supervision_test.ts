import assert from "node:assert/strict";
import type { Actor } from "../../src/runtime/actor.ts";
import { EscalationError, PipelineError } from "../../src/runtime/errors.ts";
import {
  backoffDelay,
  defaultDecider,
  resolveSupervision,
  RestartWindow,
} from "../../src/runtime/supervision.ts";
import { createActorSystem, type DeadLetterEnvelope } from "../../src/runtime/system.ts";
import { FakeClock, gate, settle } from "./_helpers.ts";
import { pollUntil } from "../helpers/services.ts";

const transient = () => new PipelineError("timeout", { retriable: true });
const badInput = () => new PipelineError("bad input", { retriable: false });

Deno.test("defaultDecider() reads retriable along the cause chain", () => {
  assert.equal(defaultDecider(transient()), "restart");
  assert.equal(defaultDecider(badInput()), "resume");
  assert.equal(defaultDecider(new Error("bug")), "restart");
  assert.equal(defaultDecider(new Error("wrapped", { cause: badInput() })), "resume");
  assert.equal(defaultDecider(new Error("wrapped", { cause: transient() })), "restart");
  assert.equal(defaultDecider(new EscalationError("child", transient())), "escalate");
});

Deno.test("backoffDelay() grows exponentially, caps at maxMs and spreads by jitter", () => {
  const b = { minMs: 100, maxMs: 1000, factor: 2, jitter: 0 };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, b, Math.random)), [
    100,
    200,
    400,
    800,
    1000,
    1000,
  ]);
  const j = { ...b, jitter: 0.5 };
  assert.equal(backoffDelay(1, j, () => 0), 100);
  assert.equal(backoffDelay(1, j, () => 0.5), 200);
  assert.equal(backoffDelay(1, j, () => 0.999999), 299.9998);
});

Deno.test("RestartWindow.count() forgets restarts older than the window", () => {
  const w = new RestartWindow(1000);
  w.record(0);
  w.record(500);
  assert.equal(w.count(999), 2);
  assert.equal(w.count(1000), 1);
  assert.equal(w.count(1500), 0);
});

Deno.test("resolveSupervision() fills defaults and reports every invalid field", () => {
  const s = resolveSupervision();
  assert.equal(s.maxRestarts, 10);
  assert.equal(s.maxMessageFailures, 3);
  assert.throws(
    () => resolveSupervision({ maxRestarts: -1, maxMessageFailures: 0 }),
    (e: unknown) =>
      e instanceof RangeError && e.message.includes("maxRestarts") &&
      e.message.includes("maxMessageFailures"),
  );
});

interface Probe {
  instances: number;
  seen: number[];
  restartedWith: unknown[];
}

/** An actor that fails on the messages `fails(n, attempt)` says, counting attempts per message. */
function flaky(probe: Probe, fails: (n: number, attempt: number) => unknown): () => Actor<number> {
  const attempts = new Map<number, number>();
  return () => {
    probe.instances++;
    return {
      receive(n) {
        const attempt = (attempts.get(n) ?? 0) + 1;
        attempts.set(n, attempt);
        const error = fails(n, attempt);
        if (error) throw error;
        probe.seen.push(n);
      },
      restarted(error) {
        probe.restartedWith.push(error);
      },
    };
  };
}

const newProbe = (): Probe => ({ instances: 0, seen: [], restartedWith: [] });

Deno.test("resume keeps the instance and retries the message until it succeeds", async () => {
  const system = createActorSystem();
  const probe = newProbe();
  const ref = system.spawn<number>({
    name: "resumer",
    mailbox: { capacity: 10 },
    supervision: { decide: () => "resume" },
    factory: flaky(probe, (n, attempt) => n === 1 && attempt < 3 && new Error("flap")),
  });
  ref.tellBatch([0, 1, 2]);
  await pollUntil("three messages", () => probe.seen.length === 3, 5000, 1);
  assert.deepEqual(probe.seen, [0, 1, 2]);
  assert.equal(probe.instances, 1);
  await system.shutdown();
});

Deno.test("restart waits the backoff on the clock, makes a new instance and retries the message", async () => {
  const clock = new FakeClock();
  const system = createActorSystem({ clock, random: () => 0.5 });
  const probe = newProbe();
  const error = transient();
  const ref = system.spawn<number>({
    name: "restarter",
    mailbox: { capacity: 10 },
    supervision: { backoff: { minMs: 100, maxMs: 10_000, factor: 3 }, maxMessageFailures: 5 },
    factory: flaky(probe, (n, attempt) => n === 1 && attempt <= 2 && error),
  });
  ref.tellBatch([0, 1, 2]);
  await pollUntil("the first backoff timer", () => clock.pending === 1, 5000, 1);
  assert.deepEqual(clock.delays, [100]);
  assert.deepEqual(probe.seen, [0]);
  clock.tick(99);
  await settle();
  assert.equal(probe.instances, 1, "no restart before the backoff elapsed");
  clock.tick(1);
  await pollUntil(
    "the second backoff timer",
    () => clock.pending === 1 && probe.instances === 2,
    5000,
    1,
  );
  assert.deepEqual(clock.delays, [100, 300]);
  clock.tick(300);
  await pollUntil("all messages after two restarts", () => probe.seen.length === 3, 5000, 1);
  assert.deepEqual(probe.seen, [0, 1, 2]);
  assert.equal(probe.instances, 3);
  assert.deepEqual(probe.restartedWith, [error, error]);
  await system.shutdown();
});

Deno.test("a message failing K times goes to dead letters with its error and the actor moves on", async () => {
  const clock = new FakeClock();
  const letters: DeadLetterEnvelope[] = [];
  const system = createActorSystem({ clock, deadLetters: (l) => letters.push(l) });
  const probe = newProbe();
  const poison = new Error("poison");
  const ref = system.spawn<number>({
    name: "k",
    mailbox: { capacity: 10 },
    supervision: { decide: () => "resume", maxMessageFailures: 4 },
    factory: flaky(probe, (n) => n === 1 && poison),
  });
  ref.tellBatch([0, 1, 2]);
  await pollUntil("the other messages", () => probe.seen.length === 2, 5000, 1);
  assert.deepEqual(probe.seen, [0, 2]);
  assert.deepEqual(letters, [{ actor: "k", message: 1, error: poison, attempts: 4 }]);
  await system.shutdown();
});

Deno.test("a non-retriable error dead-letters the message at once under the default decider", async () => {
  const letters: DeadLetterEnvelope[] = [];
  const system = createActorSystem({ deadLetters: (l) => letters.push(l) });
  const probe = newProbe();
  const ref = system.spawn<number>({
    name: "parser",
    mailbox: { capacity: 10 },
    factory: flaky(probe, (n) => n === 1 && badInput()),
  });
  ref.tellBatch([0, 1, 2]);
  await pollUntil("the good messages", () => probe.seen.length === 2, 5000, 1);
  assert.equal(letters.length, 1);
  assert.equal(letters[0].attempts, 1);
  assert.equal(probe.instances, 1, "resume keeps the instance");
  await system.shutdown();
});

Deno.test("a failing receiveBatch() is retried as a unit, then each message is dead-lettered", async () => {
  const letters: DeadLetterEnvelope[] = [];
  const system = createActorSystem({ deadLetters: (l) => letters.push(l) });
  let calls = 0;
  const ok: number[][] = [];
  const ref = system.spawn<number>({
    name: "sink",
    mailbox: { capacity: 10, batchSize: 3 },
    supervision: { decide: () => "resume", maxMessageFailures: 2 },
    factory: () => ({
      receive() {},
      receiveBatch(ms) {
        calls++;
        if (ms.includes(1)) throw new Error("write failed");
        ok.push([...ms]);
      },
    }),
  });
  ref.tellBatch([0, 1, 2, 3, 4]);
  await pollUntil("the second batch", () => ok.length === 1, 5000, 1);
  assert.equal(calls, 3);
  assert.deepEqual(letters.map((l) => [l.message, l.attempts]), [[0, 2], [1, 2], [2, 2]]);
  assert.deepEqual(ok, [[3, 4]]);
  await system.shutdown();
});

Deno.test("stop directive stops the actor, runs stopping() and dead-letters the rest", async () => {
  const letters: unknown[] = [];
  const system = createActorSystem({ deadLetters: (l) => letters.push(l.message) });
  let flushed = false;
  const ref = system.spawn<number>({
    name: "stopper",
    mailbox: { capacity: 10 },
    supervision: { decide: () => "stop" },
    factory: () => ({
      receive(n) {
        if (n === 1) throw new Error("fatal");
      },
      stopping() {
        flushed = true;
      },
    }),
  });
  ref.tellBatch([0, 1, 2, 3]);
  await pollUntil("the actor to stop", () => system.lookup("stopper") === undefined, 5000, 1);
  assert.equal(flushed, true);
  assert.deepEqual(letters, [1, 2, 3]);
  await system.shutdown();
  assert.deepEqual(await system.terminated, { ok: true });
});

Deno.test("too many restarts within the window escalate to the root: terminated ok:false", async () => {
  const clock = new FakeClock();
  const system = createActorSystem({ clock, random: () => 0.5 });
  const probe = newProbe();
  const ref = system.spawn<number>({
    name: "crashloop",
    mailbox: { capacity: 100 },
    supervision: {
      maxRestarts: 2,
      withinMs: 10_000,
      maxMessageFailures: 100,
      backoff: { minMs: 10, maxMs: 100 },
    },
    factory: flaky(probe, () => transient()),
  });
  ref.tell(1);
  let result: { ok: boolean; error?: unknown } | undefined;
  system.terminated.then((r) => (result = r));
  for (let i = 0; i < 2; i++) {
    await pollUntil(`backoff ${i + 1}`, () => clock.pending > 0, 5000, 1);
    clock.tick(1000);
  }
  await pollUntil("termination", () => result !== undefined, 5000, 1);
  assert.equal(result!.ok, false);
  assert.ok(result!.error instanceof EscalationError);
  assert.match((result!.error as Error).message, /exceeded 2 restarts within 10000 ms/);
  assert.equal(probe.instances, 3);
  assert.deepEqual(clock.delays.slice(0, 2), [10, 20]);
});

Deno.test("a child's escalation fails its parent ahead of the parent's queued messages", async () => {
  const system = createActorSystem();
  const events: string[] = [];
  const hold = gate();
  const errors: unknown[] = [];
  const parent = system.spawn<string>({
    name: "parent",
    mailbox: { capacity: 10 },
    supervision: {
      decide: (e) => {
        errors.push(e);
        events.push("escalation");
        return "resume";
      },
    },
    factory: () => ({
      started(ctx) {
        ctx.spawn<string>({
          name: "child",
          mailbox: { capacity: 10 },
          supervision: { decide: () => "escalate" },
          factory: () => ({
            receive() {
              throw new Error("child broke");
            },
          }),
        });
      },
      async receive(m) {
        if (m === "hold") await hold.promise;
        events.push(m);
      },
    }),
  });
  parent.tell("hold");
  await pollUntil("the child", () => system.lookup("parent/child") !== undefined, 5000, 1);
  parent.tellBatch(["q1", "q2"]);
  system.lookup<string>("parent/child")!.tell("boom");
  await pollUntil("the child to stop", () => system.lookup("parent/child") === undefined, 5000, 1);
  hold.open();
  await pollUntil("the parent's messages", () => events.length === 4, 5000, 1);
  assert.deepEqual(events, ["hold", "escalation", "q1", "q2"]);
  assert.ok(errors[0] instanceof EscalationError);
  assert.equal((errors[0] as EscalationError).actor, "parent/child");
  await system.shutdown();
  assert.deepEqual(await system.terminated, { ok: true });
});

Deno.test("a failing started() is supervised like a handler failure", async () => {
  const clock = new FakeClock();
  const system = createActorSystem({ clock, random: () => 0.5 });
  let starts = 0;
  const seen: number[] = [];
  const ref = system.spawn<number>({
    name: "connect",
    mailbox: { capacity: 10 },
    supervision: { backoff: { minMs: 50, maxMs: 50 } },
    factory: () => ({
      started() {
        if (++starts === 1) throw transient();
      },
      receive: (n) => void seen.push(n),
    }),
  });
  ref.tell(7);
  await pollUntil("the backoff", () => clock.pending === 1, 5000, 1);
  assert.deepEqual(seen, []);
  clock.tick(50);
  await pollUntil("the message after the restart", () => seen.length === 1, 5000, 1);
  assert.equal(starts, 2, "started() runs again on the new instance when restarted() is absent");
  await system.shutdown();
});

Deno.test("each message gets its own K attempts: a retried success resets the count", async () => {
  const letters: DeadLetterEnvelope[] = [];
  const system = createActorSystem({ deadLetters: (l) => letters.push(l) });
  const probe = newProbe();
  const ref = system.spawn<number>({
    name: "fresh-count",
    mailbox: { capacity: 10 },
    supervision: { decide: () => "resume", maxMessageFailures: 3 },
    // Each message fails twice, then succeeds: never K = 3 times.
    factory: flaky(probe, (_n, attempt) => attempt <= 2 && new Error("flap")),
  });
  ref.tellBatch([0, 1, 2, 3]);
  await pollUntil("four messages", () => probe.seen.length === 4, 5000, 1);
  assert.deepEqual(letters, []);
  assert.deepEqual(probe.seen, [0, 1, 2, 3]);
  await system.shutdown();
});

Deno.test("a handler that returns a non-promise value is treated as done", async () => {
  const system = createActorSystem();
  let sum = 0;
  const ref = system.spawn<number>({
    name: "expr",
    mailbox: { capacity: 10 },
    factory: () => ({ receive: (n) => (sum += n) as unknown as void }),
  });
  ref.tellBatch([1, 2, 3]);
  await pollUntil("the sum", () => sum === 6, 5000, 1);
  await system.shutdown();
});

Deno.test("under random failures every message is handled or dead-lettered exactly once", async () => {
  let seed = 42;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const letters: number[] = [];
  // The sink's messages are one-element arrays, the stage's plain numbers.
  const system = createActorSystem({
    random,
    deadLetters: (l) => letters.push(...[l.message as number | number[]].flat()),
  });
  const handled: number[] = [];
  const sink = system.spawn<number[]>({
    name: "batch-sink",
    mailbox: { capacity: 16, batchSize: 5 },
    supervision: { maxRestarts: 10_000, backoff: { minMs: 0, maxMs: 0 }, maxMessageFailures: 2 },
    factory: () => ({
      receive() {},
      async receiveBatch(batches) {
        if (random() < 0.2) throw new PipelineError("flaky write", { retriable: true });
        if (random() < 0.3) await Promise.resolve();
        for (const b of batches) handled.push(...b);
      },
    }),
  });
  const stage = system.spawn<number>({
    name: "stage",
    mailbox: { capacity: 8 },
    supervision: { decide: () => "resume", maxMessageFailures: 3 },
    factory: () => ({
      receive(n) {
        if (random() < 0.25) throw new Error("flaky transform");
        return sink.tell([n]);
      },
    }),
  });
  for (let i = 0; i < 2000; i++) {
    const blocked = stage.tell(i);
    if (blocked) await blocked;
  }
  await system.shutdown();
  assert.deepEqual(await system.terminated, { ok: true });
  const all = [...handled, ...letters].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 2000 }, (_, i) => i));
  assert.ok(letters.length > 0 && handled.length > 0, "both paths must have been exercised");
});

Deno.test("restart lets the failed instance run stopping() before the new one starts", async () => {
  const clock = new FakeClock();
  const system = createActorSystem({ clock, random: () => 0.5 });
  const events: string[] = [];
  let made = 0;
  const ref = system.spawn<number>({
    name: "holder",
    mailbox: { capacity: 4 },
    supervision: { backoff: { minMs: 10, maxMs: 10 } },
    factory: () => {
      const id = ++made;
      return {
        started: () => void events.push(`start ${id}`),
        receive(n) {
          if (n === 1 && id === 1) throw new Error("broken");
          events.push(`${id} got ${n}`);
        },
        stopping: () => void events.push(`stopping ${id}`),
      };
    },
  });
  ref.tell(1);
  await pollUntil(
    "the backoff",
    () => clock.pending === 1 && events.includes("stopping 1"),
    5000,
    1,
  );
  clock.tick(10);
  await pollUntil("the retry", () => events.length === 4, 5000, 1);
  assert.deepEqual(events, ["start 1", "stopping 1", "start 2", "2 got 1"]);
  await system.shutdown();
});

Deno.test("a stopping() that hangs on a stop directive is abandoned after the timeout", async () => {
  const clock = new FakeClock();
  const system = createActorSystem({ clock });
  const ref = system.spawn<number>({
    name: "hang",
    mailbox: { capacity: 4 },
    supervision: { decide: () => "stop" },
    factory: () => ({
      receive() {
        throw new Error("fatal");
      },
      stopping: () => new Promise<void>(() => {}),
    }),
  });
  ref.tell(1);
  await pollUntil("the stopping() deadline", () => clock.pending === 1, 5000, 1);
  assert.deepEqual(clock.delays, [5000]);
  assert.notEqual(system.lookup("hang"), undefined);
  clock.tick(5000);
  await pollUntil("the actor to stop", () => system.lookup("hang") === undefined, 5000, 1);
  await system.shutdown();
});

Deno.test("nothing restarts once the system's shutdown began: a backoff in progress ends in a stop", async () => {
  const clock = new FakeClock();
  const system = createActorSystem({ clock, random: () => 0.5 });
  const probe = newProbe();
  const ref = system.spawn<number>({
    name: "reader",
    mailbox: { capacity: 10 },
    supervision: { backoff: { minMs: 1000, maxMs: 1000 } },
    factory: flaky(probe, () => transient()),
  });
  ref.tell(1);
  await pollUntil("the restart backoff", () => clock.pending === 1, 5000, 1);
  const stopped = system.shutdown({ timeoutMs: 60_000 });
  clock.tick(1000);
  await stopped;
  assert.equal(probe.instances, 1, "the failed actor was not replaced during the shutdown");
  assert.ok((await system.terminated).ok);
});

Deno.test("a failure while an actor drains for a graceful stop stops it instead of restarting it", async () => {
  const letters: DeadLetterEnvelope[] = [];
  const system = createActorSystem({ deadLetters: (l) => letters.push(l) });
  const probe = newProbe();
  const ref = system.spawn<number>({
    name: "drainer",
    mailbox: { capacity: 10 },
    factory: flaky(probe, (n) => n === 2 && transient()),
  });
  ref.tellBatch([1, 2, 3]);
  await system.stop(ref);
  assert.equal(probe.instances, 1, "no new instance during the stop");
  assert.deepEqual(probe.seen, [1]);
  assert.deepEqual(letters.map((l) => l.message), [2, 3], "the rest went to dead letters");
});
