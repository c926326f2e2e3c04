/**
 * Fault matrix: SIGTERM to a `process` instance while every Kafka broker is unreachable. The stop
 * must end within `--shutdown-timeout` and nothing may restart once it began (a reader restarted
 * during a stop rejoins the group and keeps the process alive).
 * @module
 */
import assert from "node:assert/strict";
import { startPipelineCluster } from "../helpers/kafka_cluster.ts";
import { skipKafkaTests } from "../helpers/kafka_mock.ts";
import { spawnPipeline } from "../helpers/pipeline_process.ts";
import { pollUntil } from "../helpers/services.ts";

/** A `process` instance in its own process. */
function startProcessRole(bootstrap: string, db: string) {
  return spawnPipeline([
    "--role=process",
    `--kafka-brokers=${bootstrap}`,
    `--sqlite=${db}`,
    "--http=off",
    "--kafka-session-timeout=6s",
    "--shutdown-timeout=4s",
  ]);
}

for (const [label, settleMs] of [["before", 0], ["after", 1500]] as const) {
  Deno.test({
    name: `SIGTERM with every broker down (${label} the consumer noticed): the stop ends ` +
      "within the shutdown timeout and nothing restarts",
    ignore: skipKafkaTests(),
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "kafka_stop_" });
      await using mock = await startPipelineCluster({ partitions: 4 });
      const p = startProcessRole(mock.bootstrap, `${dir}/p.db`);
      try {
        await pollUntil(
          "the partitions to be assigned",
          () => p.log().includes("partition assigned"),
          { timeoutMs: 60_000, describe: () => p.log().slice(-1500) },
        );
        await mock.brokerDown(1);
        if (settleMs > 0) {
          await pollUntil(
            "the consumer to notice",
            () => p.log().includes("consumer crashed"),
            // A fetch in flight when the brokers went away may wait for its request timeout.
            90_000,
          );
        }
        p.child.kill("SIGTERM");
        // The stop's deadline is 4 s; the process' own backstop is 5 s later.
        await pollUntil("the process to exit after SIGTERM", () => p.exited, 12_000);
        const status = await p.done();
        const afterStop = p.log().slice(p.log().indexOf('"stopping"'));
        assert.ok(!afterStop.includes('"restarting"'), "no actor restarted once the stop began");
        assert.ok(
          status.code === 0 || afterStop.includes("shutdown was not clean"),
          `a non-zero exit says why: ${afterStop.slice(-400)}`,
        );
      } finally {
        await p.kill("SIGKILL");
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
