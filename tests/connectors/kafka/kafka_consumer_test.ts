import assert from "node:assert/strict";
import { createKafkaConsumer } from "../../../src/connectors/kafka/kafka_consumer.ts";
import type { KafkaConsumerCrashError } from "../../../src/connectors/kafka/errors.ts";
import { createRegistry } from "../../../src/telemetry/metrics.ts";
import {
  clientFor,
  FAST_GROUP,
  makeTicks,
  produceTicks,
  recordingMember,
  skipKafkaTests,
  startKafkaMock,
} from "./kafka_test_support.ts";
import { pollUntil } from "../../helpers/services.ts";

const ignore = skipKafkaTests();

Deno.test({
  name: "KafkaConsumer.pause() holds a partition back until resume()",
  ignore,
  async fn() {
    await using mock = await startKafkaMock({ topics: [{ name: "pause", partitions: 2 }] });
    const kafka = clientFor(mock);
    await produceTicks(kafka, "pause", makeTicks(200), 2);
    const registry = createRegistry();
    const m = recordingMember(kafka, "pause-group", "pause", { registry });
    m.consumer.pause("pause", 0);
    await m.consumer.start();
    try {
      await pollUntil("partition 1 drained", () => (m.offsets.get(1)?.length ?? 0) === 100, {
        describe: () => [...m.offsets].map(([p, o]) => [p, o.length]),
      });
      assert.equal(m.offsets.get(0), undefined, "paused partition 0 was delivered");
      assert.deepEqual(m.consumer.paused(), [{ topic: "pause", partition: 0 }]);
      const paused = (await registry.getSingleMetric("pipeline_kafka_paused_partitions")!.get())
        .values[0].value;
      assert.equal(paused, 1);

      m.consumer.resume("pause", 0);
      await pollUntil("partition 0 after resume", () => (m.offsets.get(0)?.length ?? 0) === 100, {
        describe: () => m.offsets.get(0)?.length,
      });
      assert.deepEqual(m.consumer.paused(), []);

      // Lag is high watermark − committed per partition; everything is committed in the end.
      const metric = (name: string) => registry.getSingleMetric(name)!.get();
      await pollUntil(
        "lag 0 on both partitions",
        async () =>
          (await metric("pipeline_kafka_consumer_lag")).values.every((v) => v.value === 0),
        { describe: () => m.offsets.get(0)?.length },
      );
      const lag = (await metric("pipeline_kafka_consumer_lag")).values;
      assert.deepEqual(lag.map((v) => v.labels.partition).sort(), ["0", "1"]);
      assert.equal((await metric("pipeline_kafka_assigned_partitions")).values[0].value, 2);
      const commits = (await metric("pipeline_kafka_commit_seconds")).values
        .find((v) =>
          (v as { metricName?: string }).metricName === "pipeline_kafka_commit_seconds_count"
        );
      assert.ok((commits?.value ?? 0) >= 2, `commit count ${commits?.value}`);
    } finally {
      await m.consumer.stop();
    }
  },
});

Deno.test({
  name: "KafkaConsumer keeps heartbeating while onBatch outlasts the session timeout",
  ignore,
  async fn() {
    await using mock = await startKafkaMock({ topics: [{ name: "slow", partitions: 2 }] });
    const kafka = clientFor(mock);
    await produceTicks(kafka, "slow", makeTicks(20), 2);
    const registry = createRegistry();
    let batches = 0;
    let delivered = 0;
    const consumer = createKafkaConsumer({
      kafka,
      groupId: "slow-group",
      topics: ["slow"],
      registry,
      ...FAST_GROUP,
      handlers: {
        async onBatch(_t, _p, messages) {
          // The first batch plays a sink that is slower than the session timeout (6 s).
          if (batches++ === 0) {
            await new Promise((r) => setTimeout(r, FAST_GROUP.sessionTimeout + 2000));
          }
          delivered += messages.length;
        },
      },
    });
    await consumer.start();
    try {
      await pollUntil("all 20 records", () => delivered === 20, {
        timeoutMs: 40_000,
        describe: () => delivered,
      });
      const joins = (await registry.getSingleMetric("pipeline_kafka_rebalances_total")!.get())
        .values[0].value;
      assert.equal(joins, 1, "the member lost its partitions and rejoined");
      assert.equal(consumer.assignment().length, 2);
    } finally {
      await consumer.stop();
    }
  },
});

Deno.test({
  name: "KafkaConsumer reports a kafkajs crash through onCrash and can be started again",
  ignore,
  async fn() {
    await using mock = await startKafkaMock({ topics: [{ name: "crash", partitions: 1 }] });
    const kafka = clientFor(mock);
    await produceTicks(kafka, "crash", makeTicks(10), 1);
    const crashes: KafkaConsumerCrashError[] = [];
    let fail = true;
    let delivered = 0;
    const consumer = createKafkaConsumer({
      kafka,
      groupId: "crash-group",
      topics: ["crash"],
      ...FAST_GROUP,
      retries: 0,
      handlers: {
        onBatch(topic, partition, messages) {
          if (fail) throw new Error("sink exploded");
          delivered += messages.length;
          return consumer.commit(topic, partition, Number(messages.at(-1)!.offset) + 1).then(
            () => {},
          );
        },
        onCrash: (error) => void crashes.push(error),
      },
    });
    await consumer.start();
    try {
      await pollUntil("the crash report", () => crashes.length === 1, {
        describe: () => crashes,
      });
      assert.equal(crashes[0].name, "KafkaConsumerCrashError");
      assert.equal(crashes[0].groupId, "crash-group");
      assert.match(String((crashes[0].cause as Error)?.message), /sink exploded/);
      await pollUntil("state crashed", () => consumer.state === "crashed", 30_000);
      assert.deepEqual(consumer.assignment(), []);

      fail = false;
      await consumer.start();
      await pollUntil("delivery after the restart", () => delivered === 10, {
        describe: () => delivered,
      });
    } finally {
      await consumer.stop();
    }
  },
});

Deno.test({
  name:
    "KafkaConsumer starts a partition where onAssigned says (before its committed offset), and lag gauges read the commit",
  ignore,
  async fn() {
    await using mock = await startKafkaMock({ topics: [{ name: "restart", partitions: 1 }] });
    const kafka = clientFor(mock);
    await produceTicks(kafka, "restart", makeTicks(100), 1);
    // A previous member processed everything and committed 100, with a restore point of 40.
    const first = recordingMember(kafka, "restart-group", "restart");
    await first.consumer.start();
    await pollUntil("first member's 100 records", () => first.offsets.get(0)?.length === 100);
    await first.consumer.stop();

    const registry = createRegistry();
    const second = recordingMember(kafka, "restart-group", "restart", {
      registry,
      handlers: {
        onAssigned: (ps) => ps.map((tp) => ({ ...tp, offset: "40", committed: "100" })),
        // Replays without committing: the committed offset stays 100.
        onBatch: (_t, partition, messages) => {
          const list = second.offsets.get(partition) ?? [];
          for (const m of messages) list.push(Number(m.offset));
          second.offsets.set(partition, list);
        },
      },
    });
    await second.consumer.start();
    try {
      await pollUntil("records 40..99 again", () => second.offsets.get(0)?.length === 60, {
        describe: () => second.offsets.get(0),
      });
      assert.deepEqual(second.offsets.get(0), Array.from({ length: 60 }, (_, i) => 40 + i));
      const value = async (name: string) =>
        (await registry.getSingleMetric(name)!.get()).values[0]?.value;
      // Nothing is behind: the committed offset (100) and the processed position (100) are the
      // high watermark, although the member re-read from 40.
      assert.equal(await value("pipeline_kafka_consumer_lag"), 0);
      assert.equal(await value("pipeline_kafka_processing_lag"), 0);
    } finally {
      await second.consumer.stop();
    }
  },
});
