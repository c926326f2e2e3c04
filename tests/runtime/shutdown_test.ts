import assert from "node:assert/strict";
import type { Actor } from "../../src/runtime/actor.ts";
import type { ActorRef } from "../../src/runtime/actor_ref.ts";
import { ActorStoppedError, ShutdownTimeoutError } from "../../src/runtime/errors.ts";
import { createActorSystem } from "../../src/runtime/system.ts";
import { FakeClock, gate, settle } from "./_helpers.ts";
import { pollUntil } from "../helpers/services.ts";

Deno.test("ActorSystem.shutdown() stops in reverse spawn order, draining each and flushing via stopping()", async () => {
  const system = createActorSystem();
  const events: string[] = [];
  const written: number[] = [];
  // Consumers first, producers last: the order a topology is built in.
  const sink = system.spawn<number>({
    name: "sink",
    mailbox: { capacity: 1000 },
    factory: () => {
      const buffer: number[] = [];
      return {
        receive: (n) => void buffer.push(n),
        stopping() {
          written.push(...buffer);
          events.push(`sink stopping after ${buffer.length}`);
        },
      };
    },
  });
  const stage = system.spawn<number>({
    name: "stage",
    mailbox: { capacity: 1000 },
    factory: () => ({
      receive: (n) => sink.tell(n + 1000),
      stopping: () => void events.push("stage stopping"),
    }),
  });
  const source = system.spawn<number>({
    name: "source",
    mailbox: { capacity: 1000 },
    factory: () => ({
      receive: (n) => stage.tell(n),
      stopping: () => void events.push("source stopping"),
    }),
  });
  for (let i = 0; i < 500; i++) source.tell(i);
  await system.shutdown();
  assert.deepEqual(events, ["source stopping", "stage stopping", "sink stopping after 500"]);
  assert.deepEqual(written, Array.from({ length: 500 }, (_, i) => i + 1000));
  assert.deepEqual(await system.terminated, { ok: true });
  assert.throws(() => source.tell(1), ActorStoppedError);
});

Deno.test("ActorSystem.shutdown() stops children before their parent, last spawned first", async () => {
  const system = createActorSystem();
  const events: string[] = [];
  const leaf = (name: string): Actor<number> => ({
    receive() {},
    stopping: () => void events.push(name),
  });
  system.spawn<number>({
    name: "p",
    mailbox: { capacity: 4 },
    factory: () => ({
      started(ctx) {
        for (const c of ["c1", "c2"]) {
          ctx.spawn<number>({ name: c, mailbox: { capacity: 4 }, factory: () => leaf(`p/${c}`) });
        }
      },
      receive() {},
      stopping: () => void events.push("p"),
    }),
  });
  system.spawn<number>({ name: "q", mailbox: { capacity: 4 }, factory: () => leaf("q") });
  await pollUntil("the children", () => system.lookup("p/c2") !== undefined, 5000, 1);
  await system.shutdown();
  assert.deepEqual(events, ["q", "p/c2", "p/c1", "p"]);
});

Deno.test("ActorSystem.shutdown() drains blocked senders' messages too", async () => {
  const system = createActorSystem();
  const seen: number[] = [];
  const hold = gate();
  const ref = system.spawn<number>({
    name: "narrow",
    mailbox: { capacity: 1 },
    factory: () => ({
      async receive(n) {
        if (n === 0) await hold.promise;
        seen.push(n);
      },
    }),
  });
  ref.tell(0);
  await settle();
  ref.tell(1);
  const blocked = ref.tell(2);
  assert.ok(blocked instanceof Promise);
  const done = system.shutdown();
  assert.throws(() => ref.tell(3), ActorStoppedError);
  hold.open();
  await Promise.all([blocked, done]);
  assert.deepEqual(seen, [0, 1, 2]);
});

Deno.test("ActorSystem.shutdown() stops what does not finish in time hard and reports it", async () => {
  const clock = new FakeClock();
  const letters: unknown[] = [];
  const system = createActorSystem({ clock, deadLetters: (l) => letters.push(l.message) });
  const stuck = gate();
  let fastStopped = false;
  system.spawn<number>({
    name: "fast",
    mailbox: { capacity: 4 },
    factory: () => ({ receive() {}, stopping: () => void (fastStopped = true) }),
  });
  const slow: ActorRef<number> = system.spawn<number>({
    name: "slow",
    mailbox: { capacity: 4 },
    factory: () => ({ receive: () => stuck.promise }),
  });
  slow.tell(1);
  slow.tell(2);
  slow.tell(3);
  await settle();
  const done = system.shutdown({ timeoutMs: 5000 });
  assert.equal(clock.pending, 1);
  clock.tick(5000);
  await done;
  const result = await system.terminated;
  assert.equal(result.ok, false);
  const error = result.error as ShutdownTimeoutError;
  assert.ok(error instanceof ShutdownTimeoutError);
  assert.deepEqual(error.actors, ["fast", "slow"]);
  assert.equal(error.discarded, 2);
  assert.deepEqual(letters, [2, 3]);
  assert.equal(fastStopped, false, "fast comes after slow in reverse spawn order");
  assert.equal(system.lookup("slow"), undefined);
  stuck.open();
});
