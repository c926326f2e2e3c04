import assert from "node:assert/strict";
import type { Message } from "kafkajs";
import {
  KafkaProduceError,
  KafkaProducerClosedError,
} from "../../../src/connectors/kafka/errors.ts";
import { createKafkaProducer } from "../../../src/connectors/kafka/kafka_producer.ts";
import { encodeTick } from "../../../src/connectors/kafka/tick_codec.ts";
import { createRegistry } from "../../../src/telemetry/metrics.ts";
import {
  clientFor,
  kafkaFor,
  makeTicks,
  skipKafkaTests,
  startKafkaMock,
} from "./kafka_test_support.ts";

const ignore = skipKafkaTests();
const PRODUCE = 0; // Kafka ApiKey of Produce requests
const MESSAGE_TOO_LARGE = 10; // a non-retriable Kafka error code

async function counterValue(registry: ReturnType<typeof createRegistry>, name: string) {
  const metric = registry.getSingleMetric(name);
  return metric ? (await metric.get()).values.reduce((s, v) => s + v.value, 0) : 0;
}

Deno.test({
  name: "KafkaProducer.send() is synchronous until batchSize records wait behind a full pipeline",
  ignore,
  async fn() {
    await using mock = await startKafkaMock({ topics: [{ name: "p", partitions: 2 }] });
    const registry = createRegistry();
    const producer = createKafkaProducer({
      kafka: clientFor(mock),
      registry,
      batchSize: 10,
      maxInFlight: 1,
      lingerMs: 1000,
    });
    await producer.start();
    try {
      const records = makeTicks(20).map(encodeTick);
      const results = records.map((r) => producer.send("p", r));
      // Record 10 fills the first batch, which goes out at once; records 11..20 fill the next
      // batch while the first is in flight, so the 20th send must wait.
      assert.deepEqual(results.slice(0, 19), Array(19).fill(undefined));
      assert.ok(results[19] instanceof Promise, "the 20th send did not return a promise");
      assert.equal(producer.inFlight, 1);
      assert.equal(producer.buffered, 10);
      await results[19];
      await producer.flush();
      assert.equal(producer.buffered, 0);
      assert.equal(producer.inFlight, 0);
      assert.equal(await counterValue(registry, "pipeline_kafka_messages_produced_total"), 20);
    } finally {
      await producer.stop();
    }
  },
});

Deno.test({
  name: "KafkaProducer fails with KafkaProduceError when a batch is refused on every attempt",
  ignore,
  async fn() {
    await using mock = await startKafkaMock({ topics: [{ name: "p", partitions: 1 }] });
    const registry = createRegistry();
    const producer = createKafkaProducer({
      kafka: clientFor(mock),
      registry,
      attempts: 2,
      lingerMs: 1,
    });
    await producer.start();
    await mock.pushRequestErrors(PRODUCE, [MESSAGE_TOO_LARGE, MESSAGE_TOO_LARGE]);
    producer.send("p", encodeTick(makeTicks(1)[0]));
    await assert.rejects(producer.flush(), (error: unknown) => {
      if (!(error instanceof KafkaProduceError)) return false;
      assert.equal(error.records, 1);
      assert.deepEqual(error.topics, ["p"]);
      assert.equal(error.retriable, false);
      return true;
    });
    assert.throws(() => producer.send("p", encodeTick(makeTicks(2)[1])), KafkaProduceError);
    assert.equal(await counterValue(registry, "pipeline_kafka_errors_total"), 3);
    await assert.rejects(producer.stop(), KafkaProduceError);
  },
});

Deno.test({
  name: "KafkaProducer hands an undeliverable batch to onDeliveryFailure and carries on",
  ignore,
  async fn() {
    await using mock = await startKafkaMock({ topics: [{ name: "p", partitions: 1 }] });
    const failed: Message[] = [];
    const producer = createKafkaProducer({
      kafka: clientFor(mock),
      attempts: 1,
      lingerMs: 1,
      onDeliveryFailure: (_error, records) => failed.push(...records.get("p")!),
    });
    await producer.start();
    try {
      await mock.pushRequestErrors(PRODUCE, [MESSAGE_TOO_LARGE]);
      const [first, second] = makeTicks(2).map(encodeTick);
      producer.send("p", first);
      await producer.flush();
      assert.deepEqual(failed, [first]);
      producer.send("p", second);
      await producer.flush();
      assert.deepEqual(failed, [first]);
    } finally {
      await producer.stop();
    }
    assert.throws(() => producer.send("p", encodeTick(makeTicks(1)[0])), KafkaProducerClosedError);
    await producer.stop();
  },
});

Deno.test({
  name: "KafkaProducer: a partition whose leader moved during a send is sent again, not lost " +
    "(kafkajs' per-broker response cache skips it)",
  ignore,
  async fn() {
    await using mock = await startKafkaMock({ brokers: 2, topics: [{ name: "m", partitions: 4 }] });
    for (const p of [0, 1, 2, 3]) await mock.setPartitionLeader("m", p, 1 + (p % 2));
    const producer = createKafkaProducer({ kafka: clientFor(mock), lingerMs: 1000 });
    await producer.start();
    const kafka = kafkaFor(mock, "reader");
    try {
      // Every partition gets records, and the producer learns the leaders (1, 2, 1, 2).
      const keys = ["BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD", "XRP-USD", "DOT-USD", "LTC-USD"];
      const first = keys.map((key, i) => ({ key, value: `first-${i}` }));
      for (const r of first) producer.send("m", r);
      await producer.flush();
      // Broker 2's partitions move to broker 1 behind the producer's back: its next request to
      // broker 2 is refused (NOT_LEADER), and on the retry those partitions map to broker 1,
      // which has already answered for its own.
      for (const p of [1, 3]) await mock.setPartitionLeader("m", p, 1);
      const second = keys.map((key, i) => ({ key, value: `second-${i}` }));
      for (const r of second) producer.send("m", r);
      await producer.flush();

      const admin = kafka.admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets("m");
      await admin.disconnect();
      const total = offsets.reduce((n, p) => n + Number(p.high), 0);
      assert.equal(
        total,
        first.length + second.length,
        `records in the topic: ${JSON.stringify(offsets)}`,
      );
    } finally {
      await producer.stop();
    }
  },
});
