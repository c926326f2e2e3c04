import assert from "node:assert/strict";
import { parseKafkaConfig } from "../../../src/connectors/kafka/kafka_config.ts";
import { ensureTopics, pipelineTopics } from "../../../src/connectors/kafka/topics.ts";
import { createLogger } from "../../../src/logger.ts";
import { createRegistry } from "../../../src/telemetry/metrics.ts";
import { clientFor, skipKafkaTests, startKafkaMock } from "./kafka_test_support.ts";

Deno.test("pipelineTopics() lists the four topics with the configured partitions", () => {
  const config = parseKafkaConfig({ brokers: "k:9092", partitions: 6, topics: { alerts: "a" } });
  assert.deepEqual(pipelineTopics(config), [
    { name: "crypto.ticks", partitions: 6, replicationFactor: 1 },
    { name: "crypto.ticks.dlq", partitions: 6, replicationFactor: 1 },
    { name: "crypto.candles", partitions: 6, replicationFactor: 1 },
    { name: "a", partitions: 6, replicationFactor: 1 },
  ]);
});

Deno.test({
  name: "ensureTopics() reports existing topics and logs, not throws, when creation is refused",
  ignore: skipKafkaTests(),
  async fn() {
    // The refusing-broker case: kafkajs' CreateTopics gets "Broker 0 not found" from the mock;
    // @platformatic/kafka finds no CreateTopics in the mock's ApiVersions ("Creating topics failed").
    await using mock = await startKafkaMock({ topics: [{ name: "crypto.ticks", partitions: 4 }] });
    const lines: string[] = [];
    const logger = createLogger({ level: "info", pretty: false, write: (l) => lines.push(l) });
    const registry = createRegistry();
    const results = await ensureTopics(clientFor(mock), [
      { name: "crypto.ticks", partitions: 4 },
      { name: "crypto.candles", partitions: 4 },
    ], { logger, registry, retries: 0 });

    assert.deepEqual(results[0], { topic: "crypto.ticks", status: "exists", partitions: 4 });
    assert.equal(results[1].topic, "crypto.candles");
    assert.equal(results[1].status, "unavailable");
    assert.match(results[1].error ?? "", /Broker 0 not found|Creating topics failed/);

    const logged = lines.map((l) => JSON.parse(l));
    assert.ok(
      logged.some((l) => l.msg === "topic already exists" && l.topic === "crypto.ticks"),
      `no "exists" line in ${lines.join("\n")}`,
    );
    const refused = logged.find((l) => l.topic === "crypto.candles");
    assert.equal(refused?.level, "warn");
    assert.match(refused?.msg, /cannot create topic/);
    const errors = await registry.getSingleMetric("pipeline_kafka_errors_total")!.get();
    assert.deepEqual(
      errors.values.map((v) => [v.labels, v.value]),
      [[{ client: "admin", kind: "create_topic" }, 1]],
    );
  },
});

Deno.test({
  name: "ensureTopics() warns when an existing topic has fewer partitions than configured",
  ignore: skipKafkaTests(),
  async fn() {
    await using mock = await startKafkaMock({ topics: [{ name: "crypto.ticks", partitions: 2 }] });
    const lines: string[] = [];
    const logger = createLogger({ level: "info", pretty: false, write: (l) => lines.push(l) });
    const [result] = await ensureTopics(
      clientFor(mock),
      [{ name: "crypto.ticks", partitions: 8 }],
      {
        logger,
      },
    );
    assert.deepEqual(result, { topic: "crypto.ticks", status: "exists", partitions: 2 });
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.topic === "crypto.ticks");
    assert.equal(line?.level, "warn");
    assert.equal(line?.wanted, 8);
  },
});
