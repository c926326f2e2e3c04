import assert from "node:assert/strict";
import { KafkaConfigError } from "../../../src/connectors/kafka/errors.ts";
import {
  DEFAULT_TOPICS,
  parseBrokerList,
  parseKafkaConfig,
} from "../../../src/connectors/kafka/kafka_config.ts";

Deno.test("parseKafkaConfig() applies defaults and freezes the result", () => {
  const config = parseKafkaConfig({ brokers: " a:9092, b:9093 ,," });
  assert.deepEqual(config.brokers, ["a:9092", "b:9093"]);
  assert.equal(config.clientId, "crypto-pipeline");
  assert.deepEqual(config.topics, DEFAULT_TOPICS);
  assert.equal(config.topics.ticks, "crypto.ticks");
  assert.equal(config.topics.ticksDlq, "crypto.ticks.dlq");
  assert.equal(config.partitions, 12);
  assert.equal(config.ssl, false);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.topics));
});

Deno.test("parseKafkaConfig() reports every problem at once", () => {
  assert.throws(
    () =>
      parseKafkaConfig({
        brokers: "nohost",
        partitions: 0,
        topics: { ticks: "bad topic" },
        sasl: { mechanism: "oauth" as "plain", username: "", password: "" },
        ssl: { cert: "-----BEGIN CERTIFICATE-----" },
        extra: 1,
      } as never),
    (error: unknown) => {
      if (!(error instanceof KafkaConfigError)) return false;
      assert.equal(error.retriable, false);
      assert.deepEqual(error.problems, [
        'unknown key "extra"',
        'brokers: "nohost" is not host:port',
        'topics.ticks: invalid topic name "bad topic"',
        "partitions must be an integer ≥ 1, received 0",
        "sasl.mechanism must be one of plain, scram-sha-256, scram-sha-512",
        "sasl.username must not be empty",
        "sasl.password must not be empty",
        "ssl.cert and ssl.key go together (a client certificate and its key)",
      ]);
      return true;
    },
  );
});

Deno.test("parseBrokerList() accepts arrays and comma lists", () => {
  assert.deepEqual(parseBrokerList(["x:1", " y:2 "]), ["x:1", "y:2"]);
  assert.deepEqual(parseBrokerList(""), []);
});
