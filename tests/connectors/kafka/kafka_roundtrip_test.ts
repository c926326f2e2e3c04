import assert from "node:assert/strict";
import type { KafkaMessage } from "kafkajs";
import { createKafkaConsumer } from "../../../src/connectors/kafka/kafka_consumer.ts";
import { createKafkaProducer } from "../../../src/connectors/kafka/kafka_producer.ts";
import { decodeTick, encodeTick, headerString } from "../../../src/connectors/kafka/tick_codec.ts";
import { TickParser } from "../../../src/market/tick_parser.ts";
import type { Tick } from "../../../src/market/tick.ts";
import { createRegistry } from "../../../src/telemetry/metrics.ts";
import {
  clientFor,
  FAST_GROUP,
  makeTicks,
  skipKafkaTests,
  startKafkaMock,
} from "./kafka_test_support.ts";
import { pollUntil } from "../../helpers/services.ts";

Deno.test({
  name: "KafkaProducer → KafkaConsumer round trip keeps keys, headers, values and per-key order",
  ignore: skipKafkaTests(),
  async fn() {
    await using mock = await startKafkaMock({ topics: [{ name: "ticks", partitions: 4 }] });
    const kafka = clientFor(mock);
    const registry = createRegistry();
    const sent = makeTicks(500);
    const producer = createKafkaProducer({ kafka, registry, batchSize: 64, lingerMs: 2 });
    await producer.start();
    try {
      for (const tick of sent) await producer.send("ticks", encodeTick(tick));
      await producer.flush();
    } finally {
      await producer.stop();
    }

    const parser = new TickParser();
    const received: { tick: Tick; key: string; source?: string; version?: string; p: number }[] =
      [];
    const consumer = createKafkaConsumer({
      kafka,
      groupId: "roundtrip",
      topics: ["ticks"],
      registry,
      ...FAST_GROUP,
      handlers: {
        onBatch(_topic, partition, messages: KafkaMessage[]) {
          for (const m of messages) {
            const r = decodeTick(m.value, m.headers, parser);
            if (!r.ok) throw new Error(`offset ${m.offset} did not decode: ${r.detail}`);
            received.push({
              tick: r.tick,
              key: m.key!.toString(),
              source: headerString(m.headers!, "source"),
              version: headerString(m.headers!, "schema-version"),
              p: partition,
            });
          }
        },
      },
    });
    await consumer.start();
    try {
      await pollUntil("all ticks consumed", () => received.length >= sent.length, {
        describe: () => received.length,
      });
    } finally {
      await consumer.stop();
    }

    assert.equal(received.length, sent.length);
    const byId = new Map(received.map((r) => [r.tick.id, r]));
    for (const tick of sent) {
      const r = byId.get(tick.id);
      if (!r) throw new Error(`tick ${tick.id} missing`);
      assert.deepEqual(r.tick, tick);
      assert.equal(r.key, tick.symbol);
      assert.equal(r.source, tick.source);
      assert.equal(r.version, "1");
    }
    // One symbol → one partition, in send order.
    for (const symbol of new Set(sent.map((t) => t.symbol))) {
      const got = received.filter((r) => r.tick.symbol === symbol);
      assert.equal(new Set(got.map((r) => r.p)).size, 1, `${symbol} spread over partitions`);
      assert.deepEqual(
        got.map((r) => r.tick.id),
        sent.filter((t) => t.symbol === symbol).map((t) => t.id),
      );
    }
    const metrics = await registry.getMetricsAsJSON();
    const value = (name: string) =>
      metrics.find((m) => m.name === name)?.values.reduce((s, v) => s + Number(v.value), 0);
    assert.equal(value("pipeline_kafka_messages_produced_total"), sent.length);
    assert.equal(value("pipeline_kafka_messages_consumed_total"), sent.length);
  },
});
