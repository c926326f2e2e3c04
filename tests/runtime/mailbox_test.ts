import assert from "node:assert/strict";
import { MailboxClosedError } from "../../src/runtime/errors.ts";
import { Mailbox } from "../../src/runtime/mailbox.ts";

function drain<M>(box: Mailbox<M>): M[] {
  return box.take(box.size);
}

Deno.test("Mailbox.offer() keeps FIFO order and returns undefined below capacity", () => {
  const box = new Mailbox<number>({ capacity: 4 });
  for (let i = 0; i < 4; i++) assert.equal(box.offer(i), undefined);
  assert.deepEqual(drain(box), [0, 1, 2, 3]);
  // Wrap around the ring.
  box.offer(4);
  box.offer(5);
  assert.equal(box.shift(), 4);
  box.offer(6);
  box.offer(7);
  box.offer(8);
  assert.deepEqual(drain(box), [5, 6, 7, 8]);
});

Deno.test("Mailbox drop_newest discards the incoming message and counts it", () => {
  const box = new Mailbox<number>({ capacity: 2, policy: "drop_newest" });
  for (let i = 0; i < 5; i++) assert.equal(box.offer(i), undefined);
  assert.deepEqual(drain(box), [0, 1]);
  assert.equal(box.counters.dropped, 3);
});

Deno.test("Mailbox drop_oldest discards the oldest message and counts it", () => {
  const box = new Mailbox<number>({ capacity: 3, policy: "drop_oldest" });
  for (let i = 0; i < 7; i++) assert.equal(box.offer(i), undefined);
  assert.deepEqual(drain(box), [4, 5, 6]);
  assert.equal(box.counters.dropped, 4);
  box.offerAll([7, 8, 9, 10]);
  assert.deepEqual(drain(box), [8, 9, 10]);
  assert.equal(box.counters.dropped, 5);
});

Deno.test("Mailbox block returns a promise when full and resolves it once the message is in", async () => {
  let now = 0;
  const box = new Mailbox<number>({ capacity: 2 }, { now: () => now });
  box.offer(1);
  box.offer(2);
  let admitted = false;
  const pending = box.offer(3) as Promise<void>;
  assert.ok(pending instanceof Promise);
  pending.then(() => (admitted = true));
  await Promise.resolve();
  assert.equal(admitted, false);
  assert.equal(box.size, 2);
  assert.equal(box.waiting, 1);
  now = 1500;
  assert.equal(box.shift(), 1);
  await pending;
  assert.equal(admitted, true);
  assert.deepEqual(drain(box), [2, 3]);
  assert.equal(box.counters.blockedSeconds, 1.5);
});

Deno.test("Mailbox blocked senders are admitted in arrival order, batches included", async () => {
  const box = new Mailbox<number>({ capacity: 2 });
  box.offerAll([1, 2]);
  const order: string[] = [];
  const a = box.offerAll([3, 4, 5]) as Promise<void>;
  const b = box.offer(6) as Promise<void>;
  assert.ok(a instanceof Promise && b instanceof Promise);
  a.then(() => order.push("a"));
  b.then(() => order.push("b"));
  const seen: number[] = [];
  while (box.size > 0) seen.push(box.shift());
  await Promise.all([a, b]);
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(order, ["a", "b"]);
});

Deno.test("Mailbox.offerAll() takes what fits at once and waits only for the rest", async () => {
  const box = new Mailbox<number>({ capacity: 3 });
  const pending = box.offerAll([1, 2, 3, 4]);
  assert.ok(pending instanceof Promise);
  assert.equal(box.size, 3);
  assert.equal(box.waiting, 1);
  box.shift();
  await pending;
  assert.deepEqual(drain(box), [2, 3, 4]);
});

Deno.test("Mailbox.close() rejects new sends but still admits blocked senders", async () => {
  const box = new Mailbox<number>({ capacity: 1 });
  box.offer(1);
  const pending = box.offer(2);
  box.close();
  assert.throws(() => box.offer(3), MailboxClosedError);
  assert.throws(() => box.offerAll([3]), MailboxClosedError);
  assert.equal(box.shift(), 1);
  await pending;
  assert.equal(box.shift(), 2);
  assert.equal(box.empty, true);
});

Deno.test("Mailbox.discard() returns held and waiting messages and rejects blocked senders", async () => {
  const box = new Mailbox<number>({ capacity: 2 });
  box.offerAll([1, 2]);
  const pending = box.offerAll([3, 4]);
  const reason = new Error("gone");
  assert.deepEqual(box.discard(reason), [1, 2, 3, 4]);
  await assert.rejects(pending as Promise<void>, (e: unknown) => e === reason);
  assert.equal(box.size, 0);
  assert.throws(() => box.offer(5), MailboxClosedError);
});

Deno.test("Mailbox constructor reports every invalid option at once", () => {
  assert.throws(
    () => new Mailbox({ capacity: 0, batchSize: 1.5, policy: "spill" as never }),
    (e: unknown) =>
      e instanceof RangeError && e.message.includes("capacity") &&
      e.message.includes("batchSize") &&
      e.message.includes("policy"),
  );
});
