import assert from "node:assert/strict";
import { GroupMember, type MemberClient } from "../../../src/connectors/kafka/group_member.ts";
import type { KafkaConsumerCrashError } from "../../../src/connectors/kafka/errors.ts";
import type {
  StartPosition,
  TopicPartition,
} from "../../../src/connectors/kafka/kafka_consumer.ts";
import { silentLogger } from "../../../src/logger.ts";

const tp = (partition: number): TopicPartition => ({ topic: "t", partition });
const names = (ps: readonly TopicPartition[]) => ps.map((p) => `${p.topic}/${p.partition}`);

/**
 * A member over a client that only records what it is asked, in order, beside what the owner's
 * handlers are told: the expected sequences in the tests are written out by hand from the rules in
 * kafka_consumer.ts, not derived from the implementation.
 */
function recordedMember(o: { starts?: readonly StartPosition[]; openFails?: boolean } = {}) {
  const calls: string[] = [];
  const crashes: KafkaConsumerCrashError[] = [];
  let assigned: PromiseWithResolvers<void> | undefined;
  const client: MemberClient<TopicPartition> = {
    open: () => {
      calls.push("open");
      return o.openFails ? Promise.reject(new Error("refused")) : Promise.resolve();
    },
    quiesce: (wasRunning) => (calls.push(`quiesce ${wasRunning}`), Promise.resolve()),
    close: (wasRunning) => (calls.push(`close ${wasRunning}`), Promise.resolve()),
    own: (p) => ({ ...p }),
    position: (added, starts) => {
      calls.push(`position ${names(added)} from ${starts.map((s) => s.offset)}`);
    },
    revoking: (key) => calls.push(`revoking ${key}`),
    revoked: (key) => calls.push(`revoked ${key}`),
    setPaused: (p, paused) => calls.push(`${paused ? "pause" : "resume"} ${p.partition}`),
    halt: () => calls.push("halt"),
  };
  const member = new GroupMember({
    groupId: "g",
    log: silentLogger,
    metrics: undefined,
    handlers: {
      onAssigned: async (ps) => {
        calls.push(`onAssigned ${names(ps)}`);
        await assigned?.promise;
        return o.starts;
      },
      onRevoked: (ps) => void calls.push(`onRevoked ${names(ps)}`),
      onBatch: () => {},
      onCrash: (e) => void crashes.push(e),
    },
  }, client);
  const holdAssignment = () => (assigned = Promise.withResolvers<void>());
  return { member, calls, crashes, holdAssignment };
}

Deno.test("GroupMember.start() opens once however often it is called, and stop() closes once", async () => {
  const { member, calls } = recordedMember();
  await Promise.all([member.start(), member.start()]);
  assert.equal(member.state, "running");
  await Promise.all([member.stop(), member.stop()]);
  assert.equal(member.state, "stopped");
  assert.deepEqual(calls, ["open", "quiesce true", "close true"]);
});

Deno.test("GroupMember.start() that fails to open leaves the member stopped and rethrows", async () => {
  const { member, calls } = recordedMember({ openFails: true });
  await assert.rejects(member.start(), /refused/);
  assert.equal(member.state, "stopped");
  assert.deepEqual(calls, ["open", "quiesce true", "close true"]);
});

Deno.test("GroupMember.joined() revokes what left before assigning what came, and positions after onAssigned", async () => {
  const starts = [{ topic: "t", partition: 2, offset: "7" }];
  const { member, calls } = recordedMember({ starts });
  await member.start();
  member.joined([tp(0), tp(1)]);
  await member.ready;
  member.joined([tp(1), tp(2)]);
  // Commits for a revoked partition are refused at once, before its callbacks ran.
  assert.equal(member.owned("t|0"), undefined);
  await member.ready;
  assert.deepEqual(member.assignment(), [tp(1), tp(2)]);
  assert.deepEqual(calls, [
    "open",
    "onAssigned t/0,t/1",
    "position t/0,t/1 from 7",
    "revoking t|0",
    "onRevoked t/0",
    "revoked t|0",
    "onAssigned t/2",
    "position t/2 from 7",
  ]);
  await member.stop();
});

Deno.test("GroupMember.joined() again before the last assignment's callbacks ran: each assignment is diffed against the one before it", async () => {
  // The group can re-form while onAssigned still runs (a new owner's restore reads offsets and
  // stored candles, slow on a loaded machine). A partition given and taken away again must be
  // revoked, and when it comes back, assigned (restored) again — not left owned without a restore.
  const { member, calls, holdAssignment } = recordedMember();
  await member.start();
  member.joined([tp(0)]);
  await member.ready;
  const hold = holdAssignment();
  member.joined([tp(0), tp(1)]);
  member.joined([tp(0)]);
  hold.resolve();
  await member.ready;
  assert.deepEqual(member.assignment(), [tp(0)]);
  member.joined([tp(0), tp(1)]);
  await member.ready;
  assert.deepEqual(member.assignment(), [tp(0), tp(1)]);
  assert.deepEqual(calls, [
    "open",
    "onAssigned t/0",
    "position t/0 from ",
    "onAssigned t/1",
    "position t/1 from ",
    "revoking t|1",
    "onRevoked t/1",
    "revoked t|1",
    "onAssigned t/1",
    "position t/1 from ",
  ]);
  await member.stop();
});

Deno.test("GroupMember: a pause asked before the partition is assigned applies when it is, and a revoked partition comes back unpaused", async () => {
  const { member, calls } = recordedMember();
  await member.start();
  member.pause("t", 3);
  member.joined([tp(3)]);
  await member.ready;
  assert.deepEqual(member.paused(), [tp(3)]);
  member.joined([]);
  await member.ready;
  assert.deepEqual(member.paused(), []);
  assert.deepEqual(calls.filter((c) => /^(pause|resume)/.test(c)), [
    "pause 3", // asked while running
    "pause 3", // applied to the new assignment before its first fetch
    "resume 3", // revoked: not paused if it comes back
  ]);
  await member.stop();
});

Deno.test("GroupMember.stop() waits for the assignment in progress, then revokes everything before closing", async () => {
  const { member, calls, holdAssignment } = recordedMember();
  await member.start();
  const hold = holdAssignment();
  member.joined([tp(0)]);
  const stopped = member.stop();
  // Microtasks only: stop() has begun (quiesced) while onAssigned is still pending.
  for (let i = 0; i < 100 && !calls.includes("quiesce true"); i++) await Promise.resolve();
  assert.equal(member.state, "stopping");
  assert.ok(!calls.includes("position t/0 from "), "positioned before onAssigned settled");
  hold.resolve();
  await stopped;
  assert.deepEqual(calls.slice(1), [
    "onAssigned t/0",
    "quiesce true",
    "position t/0 from ",
    "revoking t|0",
    "onRevoked t/0",
    "revoked t|0",
    "close true",
  ]);
});

Deno.test("GroupMember.crashed() halts, revokes everything, reports once, and start() stops it first", async () => {
  const { member, calls, crashes } = recordedMember();
  await member.start();
  member.joined([tp(0), tp(1)]);
  await member.ready;
  member.crashed(new Error("boom"));
  assert.equal(member.state, "crashed");
  await member.ready;
  assert.equal(crashes.length, 1);
  assert.match(String(crashes[0].cause), /boom/);
  assert.deepEqual(member.assignment(), []);
  assert.deepEqual(calls.slice(-6), [
    "halt",
    "revoking t|0",
    "revoking t|1",
    "onRevoked t/0,t/1",
    "revoked t|0",
    "revoked t|1",
  ]);
  calls.length = 0;
  await member.start();
  assert.equal(member.state, "running");
  // Stopped (not running: nothing left to revoke) before opening again.
  assert.deepEqual(calls, ["quiesce false", "close false", "open"]);
  await member.stop();
});
