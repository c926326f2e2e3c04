import assert from "node:assert/strict";
import { createKafkaConsumer } from "../../../src/connectors/kafka/kafka_consumer.ts";
import {
  clientFor,
  FAST_GROUP,
  makeTicks,
  partitionsOf,
  produceTicks,
  recordingMember,
  skipKafkaTests,
  startKafkaMock,
} from "./kafka_test_support.ts";
import { pollUntil } from "../../helpers/services.ts";

// A group of two forms, or re-forms after a member leaves, within the rebalance timeout (6 s,
// FAST_GROUP) plus a join round; on a loaded machine running the whole suite, more than 10 s.
const GROUP_DEADLINE_MS = 30_000;

const ignore = skipKafkaTests();
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

Deno.test({
  name: "KafkaConsumer: two members split the partitions and together consume every record",
  ignore,
  async fn() {
    await using mock = await startKafkaMock({ topics: [{ name: "split", partitions: 6 }] });
    const kafka = clientFor(mock);
    const ticks = makeTicks(600);
    await produceTicks(kafka, "split", ticks, 6);
    const a = recordingMember(kafka, "split-group", "split");
    const b = recordingMember(kafka, "split-group", "split");
    await Promise.all([a.consumer.start(), b.consumer.start()]);
    try {
      const owned = () => [...a.consumer.assignment(), ...b.consumer.assignment()];
      await pollUntil(
        "both members to own partitions",
        () =>
          a.consumer.assignment().length > 0 && b.consumer.assignment().length > 0 &&
          owned().length === 6,
        {
          timeoutMs: GROUP_DEADLINE_MS,
          describe: () => [a.consumer.assignment(), b.consumer.assignment()],
        },
      );
      await pollUntil(
        "every tick consumed",
        () => new Set([...a.seen, ...b.seen]).size === ticks.length,
        { timeoutMs: GROUP_DEADLINE_MS, describe: () => [a.seen.length, b.seen.length] },
      );
      assert.deepEqual(partitionsOf(owned()), range(6), "the members' assignments overlap");
      assert.deepEqual(
        [...new Set([...a.seen, ...b.seen])].sort(),
        ticks.map((t) => t.id).sort(),
      );
    } finally {
      await Promise.all([a.consumer.stop(), b.consumer.stop()]);
    }
  },
});

Deno.test({
  name: "KafkaConsumer: the survivor takes over a departed member's partitions at its commits",
  ignore,
  async fn() {
    await using mock = await startKafkaMock({ topics: [{ name: "takeover", partitions: 4 }] });
    const kafka = clientFor(mock);
    const first = makeTicks(400);
    await produceTicks(kafka, "takeover", first, 4);
    const a = recordingMember(kafka, "takeover-group", "takeover");
    const b = recordingMember(kafka, "takeover-group", "takeover");
    await Promise.all([a.consumer.start(), b.consumer.start()]);
    try {
      await pollUntil(
        "a 2/2 split and the first 400 ticks consumed",
        () =>
          a.consumer.assignment().length === 2 && b.consumer.assignment().length === 2 &&
          new Set([...a.seen, ...b.seen]).size === first.length,
        {
          timeoutMs: GROUP_DEADLINE_MS,
          describe: () => [a.consumer.assignment(), b.consumer.assignment(), a.seen.length],
        },
      );
      const bPartitions = partitionsOf(b.consumer.assignment());
      const aSeenBefore = a.seen.length;
      await b.consumer.stop();
      assert.deepEqual(partitionsOf(b.revokedEvents.flat()), bPartitions);

      const second = makeTicks(800).slice(400);
      await produceTicks(kafka, "takeover", second, 4);
      await pollUntil(
        "a to own all 4 partitions and consume the rest",
        () =>
          a.consumer.assignment().length === 4 &&
          new Set([...a.seen, ...b.seen]).size === first.length + second.length,
        {
          timeoutMs: GROUP_DEADLINE_MS,
          describe: () => [
            a.consumer.assignment(),
            a.seen.length,
            a.consumer.state,
            a.crashes.map((e) => e.message),
          ],
        },
      );
      assert.deepEqual(partitionsOf(a.assignedEvents.flat().slice(-2)), bPartitions);
      // b committed before leaving, so a starts its partitions exactly where b stopped.
      const after = a.seen.slice(aSeenBefore);
      assert.equal(new Set(after).size, after.length, "a record was delivered twice");
      assert.deepEqual(after.slice().sort(), second.map((t) => t.id).sort());
    } finally {
      await Promise.all([a.consumer.stop(), b.consumer.stop()]);
    }
  },
});

Deno.test({
  name: "KafkaConsumer: a restarted member resumes at the committed offset, not the delivered one",
  ignore,
  async fn() {
    await using mock = await startKafkaMock({ topics: [{ name: "resume", partitions: 1 }] });
    const kafka = clientFor(mock);
    await produceTicks(kafka, "resume", makeTicks(100), 1);
    const delivered: number[] = [];
    const first = createKafkaConsumer({
      kafka,
      groupId: "resume-group",
      topics: ["resume"],
      ...FAST_GROUP,
      handlers: {
        async onBatch(topic, partition, messages) {
          for (const m of messages) delivered.push(Number(m.offset));
          // Only the first 60 records are "acknowledged by every sink".
          const acked = Math.min(60, Number(messages.at(-1)!.offset) + 1);
          await first.commit(topic, partition, acked);
        },
      },
    });
    await first.start();
    try {
      await pollUntil("the first 100 records", () => delivered.length === 100, {
        timeoutMs: GROUP_DEADLINE_MS,
        describe: () => delivered.length,
      });
    } finally {
      await first.stop();
    }

    await produceTicks(kafka, "resume", makeTicks(150).slice(100), 1);
    const second = recordingMember(kafka, "resume-group", "resume");
    await second.consumer.start();
    try {
      await pollUntil("offsets 60..149", () => (second.offsets.get(0)?.length ?? 0) === 90, {
        timeoutMs: GROUP_DEADLINE_MS,
        describe: () => second.offsets.get(0)?.length,
      });
      assert.deepEqual(second.offsets.get(0), range(90).map((i) => i + 60));
    } finally {
      await second.consumer.stop();
    }
  },
});
