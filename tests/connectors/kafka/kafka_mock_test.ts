import assert from "node:assert/strict";
import { observerClient } from "../../helpers/kafka_cluster.ts";
import { KafkaMockError } from "../../helpers/kafka_mock.ts";
import { skipKafkaTests, startKafkaMock } from "./kafka_test_support.ts";

Deno.test({
  name: "startKafkaMock() serves topics, applies fault commands and stops idempotently",
  ignore: skipKafkaTests(),
  async fn() {
    const mock = await startKafkaMock({ brokers: 2, topics: [{ name: "m", partitions: 3 }] });
    try {
      assert.equal(mock.brokers.length, 2);
      assert.match(mock.bootstrap, /^127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
      await mock.createTopic("m2", 5);
      await mock.setRtt(-1, 0);
      await mock.setCoordinator("g", 2);
      await mock.setPartitionLeader("m", 0, 2);
      await mock.brokerDown(2);
      await mock.brokerUp(2);
      await mock.pushRequestErrors(0, [6]);
      await mock.clearRequestErrors(0);
      await assert.rejects(mock.brokerUp(9), KafkaMockError);

      const admin = observerClient(mock).admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: ["m", "m2"] });
        assert.deepEqual(
          topics.map((t) => [t.name, t.partitions.length]).sort(),
          [["m", 3], ["m2", 5]],
        );
        const m = topics.find((t) => t.name === "m")?.partitions.find((p) => p.partitionId === 0);
        assert.equal(m?.leader, 2);
      } finally {
        await admin.disconnect();
      }
    } finally {
      await mock.stop();
      await mock.stop();
    }
    await assert.rejects(mock.createTopic("late", 1), KafkaMockError);
  },
});
