import assert from "node:assert/strict";
import { createRegistry, type Registry } from "../../../src/telemetry/metrics.ts";
import {
  clientFor,
  kafkaFor,
  makeTicks,
  produceTicks,
  recordingMember,
  skipKafkaTests,
  startKafkaMock,
} from "./kafka_test_support.ts";
import { pollUntil } from "../../helpers/services.ts";

const ignore = skipKafkaTests();

async function resets(registry: Registry): Promise<{ labels: object; value: number }[]> {
  const metric = registry.getSingleMetric("pipeline_kafka_offset_resets_total");
  if (!metric) return [];
  return (await metric.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
}

// A committed offset the log no longer holds (retention deleted the records before the group read
// them; here: one past its end) is moved to the log's start. The records in between were never
// read, so the move must be counted, not only logged: pipeline_kafka_offset_resets_total, alert
// KafkaOffsetReset. kafkajs resets inside its consumer; platformatic's reset is the connector's.
Deno.test({
  name: "KafkaConsumer: a committed offset outside the log restarts at its start and is counted",
  ignore,
  async fn() {
    await using mock = await startKafkaMock({ topics: [{ name: "reset", partitions: 1 }] });
    const registry = createRegistry();
    const kafka = clientFor(mock, "test", registry);
    const ticks = makeTicks(20);
    await produceTicks(kafka, "reset", ticks, 1);
    // The group's committed offset set past the log's end (20) by an earlier member (kafkajs:
    // the mock answers no DescribeGroups, which kafkajs' admin setOffsets needs).
    const earlier = recordingMember(kafkaFor(mock), "reset-group", "reset");
    await earlier.consumer.start();
    try {
      await pollUntil("the earlier member to read the log", () => earlier.seen.length === 20, {
        timeoutMs: 30_000,
        describe: () => earlier.seen.length,
      });
      assert.equal(await earlier.consumer.commit("reset", 0, 1000), true);
    } finally {
      await earlier.consumer.stop();
    }
    const m = recordingMember(kafka, "reset-group", "reset", { registry });
    await m.consumer.start();
    try {
      await pollUntil(
        "every record delivered from the log's start",
        () => new Set(m.seen).size === ticks.length,
        { timeoutMs: 30_000, describe: () => [m.seen.length, m.crashes.map((e) => e.message)] },
      );
      assert.deepEqual(await resets(registry), [
        { labels: { group: "reset-group", topic: "reset" }, value: 1 },
      ]);
      assert.deepEqual(m.seen, ticks.map((t) => t.id), "delivered once each, in order");
    } finally {
      await m.consumer.stop();
    }
  },
});
