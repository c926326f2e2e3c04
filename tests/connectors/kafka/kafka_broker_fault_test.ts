import assert from "node:assert/strict";
import { createKafkaProducer } from "../../../src/connectors/kafka/kafka_producer.ts";
import { encodeTick } from "../../../src/connectors/kafka/tick_codec.ts";
import {
  clientFor,
  makeTicks,
  recordingMember,
  skipKafkaTests,
  startKafkaMock,
} from "./kafka_test_support.ts";
import { pollUntil } from "../../helpers/services.ts";

const OUTAGE_MS = 3000;

Deno.test({
  name: "a broker down for a few seconds and a coordinator move lose nothing end to end",
  ignore: skipKafkaTests(),
  async fn() {
    await using mock = await startKafkaMock({
      brokers: 3,
      topics: [{ name: "fault", partitions: 6 }],
    });
    const kafka = clientFor(mock);
    const member = recordingMember(kafka, "fault-group", "fault");
    await member.consumer.start();
    const producer = createKafkaProducer({ kafka, batchSize: 100, lingerMs: 2 });
    await producer.start();
    const ticks = makeTicks(3000);
    let outage: Promise<void> | undefined;
    try {
      await pollUntil(
        "the member to own 6",
        () => member.consumer.assignment().length === 6,
        30_000,
      );
      for (const [i, tick] of ticks.entries()) {
        if (i === 1000) {
          // Broker 1 leads some partitions; it refuses connections for OUTAGE_MS while the
          // producer keeps sending and the consumer keeps fetching.
          await mock.brokerDown(1);
          outage = new Promise<void>((resolve, reject) =>
            setTimeout(() => mock.brokerUp(1).then(resolve, reject), OUTAGE_MS)
          );
        }
        if (i === 2000) await mock.setCoordinator("fault-group", 2);
        await producer.send("fault", { ...encodeTick(tick), partition: i % 6 });
      }
      await producer.flush();
      await outage;
      await pollUntil(
        "every tick consumed after the outage",
        () => new Set(member.seen).size === ticks.length,
        {
          timeoutMs: 60_000,
          describe: () => [new Set(member.seen).size, member.consumer.state, member.crashes],
        },
      );
      assert.deepEqual(
        [...new Set(member.seen)].sort(),
        ticks.map((t) => t.id).sort(),
      );
      assert.deepEqual(member.crashes, []);
    } finally {
      await outage?.catch(() => {});
      await producer.stop();
      await member.consumer.stop();
    }
  },
});
