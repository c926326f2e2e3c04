import assert from "node:assert/strict";
import type { Actor, ActorContext } from "../../src/runtime/actor.ts";
import { ActorStoppedError, SpawnError } from "../../src/runtime/errors.ts";
import { createActorSystem } from "../../src/runtime/system.ts";
import { FakeClock, gate, settle } from "./_helpers.ts";
import { pollUntil } from "../helpers/services.ts";

Deno.test("ActorRef.tell() delivers messages in order, one at a time, even with async handlers", async () => {
  const system = createActorSystem();
  const seen: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const ref = system.spawn<number>({
    name: "ordered",
    mailbox: { capacity: 1000 },
    factory: () => ({
      async receive(n) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (n % 3 === 0) await settle();
        seen.push(n);
        inFlight--;
      },
    }),
  });
  for (let i = 0; i < 100; i++) assert.equal(ref.tell(i), undefined);
  await pollUntil("100 messages", () => seen.length === 100, 5000, 1);
  assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i));
  assert.equal(maxInFlight, 1);
  await system.shutdown();
  assert.deepEqual(await system.terminated, { ok: true });
});

Deno.test("ActorRef.tell() blocks a sender on a full mailbox and wakes it as the actor drains", async () => {
  const system = createActorSystem();
  const hold = gate();
  const seen: number[] = [];
  const ref = system.spawn<number>({
    name: "slow",
    mailbox: { capacity: 2, batchSize: 1 },
    factory: () => ({
      async receive(n) {
        if (n === 0) await hold.promise;
        seen.push(n);
      },
    }),
  });
  assert.equal(ref.tell(0), undefined);
  await settle(); // 0 is now in flight, held by the gate
  assert.equal(ref.tell(1), undefined);
  assert.equal(ref.tell(2), undefined);
  const blocked = ref.tell(3) as Promise<void>;
  assert.ok(blocked instanceof Promise, "a full block mailbox must hand back a promise");
  let woke = false;
  blocked.then(() => (woke = true));
  await settle();
  assert.equal(woke, false);
  hold.open();
  await blocked;
  await pollUntil("all four messages", () => seen.length === 4, 5000, 1);
  assert.deepEqual(seen, [0, 1, 2, 3]);
  await system.shutdown();
});

Deno.test("receiveBatch() gets the mailbox drained in batches of at most batchSize", async () => {
  const system = createActorSystem();
  const batches: number[][] = [];
  const ref = system.spawn<number>({
    name: "batcher",
    mailbox: { capacity: 100, batchSize: 8 },
    factory: () => ({
      receive() {
        throw new Error("receive must not be called when receiveBatch exists");
      },
      receiveBatch(ms) {
        batches.push([...ms]);
      },
    }),
  });
  assert.equal(ref.tellBatch(Array.from({ length: 20 }, (_, i) => i)), undefined);
  await pollUntil("20 messages", () => batches.flat().length === 20, 5000, 1);
  assert.deepEqual(batches.map((b) => b.length), [8, 8, 4]);
  assert.deepEqual(batches.flat(), Array.from({ length: 20 }, (_, i) => i));
  await system.shutdown();
});

Deno.test("receive() drains up to batchSize per turn, then yields to other actors", async () => {
  const system = createActorSystem();
  const log: string[] = [];
  const make = (tag: string) =>
    system.spawn<number>({
      name: tag,
      mailbox: { capacity: 100, batchSize: 4 },
      factory: () => ({ receive: (n) => void log.push(`${tag}${n}`) }),
    });
  const a = make("a");
  const b = make("b");
  for (let i = 0; i < 8; i++) a.tell(i);
  for (let i = 0; i < 8; i++) b.tell(i);
  await pollUntil("16 messages", () => log.length === 16, 5000, 1);
  assert.deepEqual(log, [
    "a0",
    "a1",
    "a2",
    "a3",
    "b0",
    "b1",
    "b2",
    "b3",
    "a4",
    "a5",
    "a6",
    "a7",
    "b4",
    "b5",
    "b6",
    "b7",
  ]);
  await system.shutdown();
});

Deno.test("a stop system message overtakes queued messages, which go to dead letters", async () => {
  const letters: unknown[] = [];
  const system = createActorSystem({ deadLetters: (l) => letters.push(l.message) });
  const hold = gate();
  const seen: number[] = [];
  let stopped = false;
  const ref = system.spawn<number>({
    name: "victim",
    mailbox: { capacity: 10 },
    factory: () => ({
      async receive(n) {
        if (n === 0) await hold.promise;
        seen.push(n);
      },
      stopping() {
        stopped = true;
      },
    }),
  });
  ref.tell(0);
  await settle();
  for (let i = 1; i <= 5; i++) ref.tell(i);
  const done = system.stop(ref, { graceful: false });
  hold.open();
  await done;
  assert.deepEqual(seen, [0], "queued messages must not run after the stop message");
  assert.deepEqual(letters, [1, 2, 3, 4, 5]);
  assert.equal(stopped, true);
  assert.throws(() => ref.tell(6), ActorStoppedError);
  assert.equal(system.lookup("victim"), undefined);
  await system.shutdown();
});

Deno.test("ActorContext gives the name, self, clock and children named parent/child", async () => {
  const system = createActorSystem();
  const got: string[] = [];
  class Parent implements Actor<string> {
    started(ctx: ActorContext<string>) {
      ctx.spawn<string>({
        name: "kid",
        mailbox: { capacity: 4 },
        factory: () => ({ receive: (m, c) => void got.push(`${c.name}:${m}`) }),
      });
    }
    receive(m: string, ctx: ActorContext<string>) {
      got.push(`${ctx.name}:${m}`);
      return ctx.system.lookup<string>(`${ctx.name}/kid`)!.tell(m);
    }
  }
  const parent = system.spawn<string>({
    name: "parent",
    mailbox: { capacity: 4 },
    factory: () => new Parent(),
  });
  parent.tell("hi");
  await pollUntil("both actors", () => got.length === 2, 5000, 1);
  assert.deepEqual(got, ["parent:hi", "parent/kid:hi"]);
  assert.throws(
    () => system.spawn({ name: "parent", mailbox: { capacity: 1 }, factory: () => new Parent() }),
    SpawnError,
  );
  await system.shutdown();
  assert.throws(
    () => system.spawn({ name: "late", mailbox: { capacity: 1 }, factory: () => new Parent() }),
    SpawnError,
  );
});

Deno.test("ActorRef.tell() through a chain of block mailboxes applies backpressure end to end", async () => {
  const system = createActorSystem();
  let sum = 0;
  let count = 0;
  const sink = system.spawn<number>({
    name: "sink",
    mailbox: { capacity: 4 },
    factory: () => ({
      receive(n) {
        sum += n;
        count++;
      },
    }),
  });
  const mid = system.spawn<number>({
    name: "mid",
    mailbox: { capacity: 4 },
    factory: () => ({ receive: (n) => sink.tell(n * 2) }),
  });
  let awaited = 0;
  for (let i = 0; i < 10_000; i++) {
    const p = mid.tell(i);
    if (p) {
      awaited++;
      await p;
    }
  }
  await system.shutdown();
  assert.equal(count, 10_000);
  assert.equal(sum, 2 * (10_000 * 9_999) / 2);
  assert.ok(awaited > 0, "the producer must have been made to wait");
});

Deno.test("a saturated actor still lets timers run (the scheduler yields to macrotasks)", async () => {
  const system = createActorSystem();
  let handled = 0;
  let handledWhenTimerFired = -1;
  const LIMIT = 2_000_000;
  const ref = system.spawn<number>({
    name: "spinner",
    mailbox: { capacity: 16 },
    factory: () => ({
      receive(n, ctx) {
        handled++;
        if (n < LIMIT) ctx.self.tell(n + 1);
      },
    }),
  });
  const timer = new Promise<void>((resolve) =>
    setTimeout(() => {
      handledWhenTimerFired = handled;
      resolve();
    }, 0)
  );
  ref.tell(0);
  await timer;
  assert.ok(
    handledWhenTimerFired < LIMIT,
    `the timer fired only after the actor finished (${handledWhenTimerFired} messages)`,
  );
  await system.shutdown();
});

Deno.test("ActorSystem.restart() replaces the instance ahead of queued messages", async () => {
  const clock = new FakeClock();
  const system = createActorSystem({ clock, random: () => 0.5 });
  const hold = gate();
  const seen: string[] = [];
  let made = 0;
  const ref = system.spawn<string>({
    name: "reloadable",
    mailbox: { capacity: 8 },
    supervision: { backoff: { minMs: 5, maxMs: 5 } },
    factory: () => {
      const id = ++made;
      return {
        async receive(m) {
          if (m === "hold") await hold.promise;
          seen.push(`${id}:${m}`);
        },
      };
    },
  });
  ref.tell("hold");
  await settle();
  ref.tellBatch(["a", "b"]);
  system.restart(ref, new Error("config changed"));
  hold.open();
  await pollUntil("the restart backoff", () => clock.pending === 1, 5000, 1);
  clock.tick(5);
  await pollUntil("the queued messages", () => seen.length === 3, 5000, 1);
  assert.deepEqual(seen, ["1:hold", "2:a", "2:b"]);
  await system.shutdown();
});

Deno.test("ctx.scheduleSelf() delivers after the delay and its timer goes with the actor", async () => {
  const clock = new FakeClock();
  const system = createActorSystem({ clock });
  const seen: string[] = [];
  const ref = system.spawn<string>({
    name: "timed",
    mailbox: { capacity: 8 },
    factory: () => ({
      started: (ctx) => void ctx.scheduleSelf("tick", 1000),
      receive: (m, ctx) => {
        seen.push(m);
        if (m === "again") ctx.scheduleSelf("tick", 1000);
      },
    }),
  });
  await pollUntil("the timer set in started()", () => clock.pending === 1, 5000, 1);
  clock.tick(1000);
  await pollUntil("the scheduled message", () => seen.length === 1, 5000, 1);
  assert.deepEqual(seen, ["tick"]);
  ref.tell("again");
  await pollUntil("the timer set in receive()", () => clock.pending === 1, 5000, 1);
  await system.stop(ref);
  assert.equal(clock.pending, 0, "the stop cancelled the pending timer");
  await system.shutdown();
});

Deno.test("ctx.tellSelf() from a callback is dropped, not thrown, once the actor stops", async () => {
  const system = createActorSystem();
  let later: ((m: string) => void) | null = null;
  const seen: string[] = [];
  const ref = system.spawn<string>({
    name: "callback",
    mailbox: { capacity: 8 },
    factory: () => ({
      started: (ctx) => void (later = ctx.tellSelf),
      receive: (m) => void seen.push(m),
    }),
  });
  await pollUntil("started()", () => later !== null, 5000, 1);
  later!("while running");
  await pollUntil("the message", () => seen.length === 1, 5000, 1);
  await system.stop(ref);
  later!("after the stop"); // must not throw
  assert.deepEqual(seen, ["while running"]);
  await system.shutdown();
});
