/**
 * Fault matrix: SIGTERM to a `process` instance while every Kafka broker is unreachable. The stop
 * must end within `--shutdown-timeout` and nothing may restart once it began (a reader restarted
 * during a stop rejoins the group and keeps the process alive).
 * @module
 */
import assert from "node:assert/strict";
import { DEFAULT_TOPICS } from "../../src/connectors/kafka/kafka_config.ts";
import { skipKafkaTests, startKafkaMock } from "../helpers/kafka_mock.ts";
import { pollUntil } from "../helpers/services.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** A `process` instance in its own process, with its log lines collected. */
function startProcessRole(bootstrap: string, db: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "--role=process",
      `--kafka-brokers=${bootstrap}`,
      `--sqlite=${db}`,
      "--http=off",
      "--kafka-session-timeout=6s",
      "--shutdown-timeout=4s",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const reading = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (log += chunk) }),
  );
  return { child, log: () => log, reading };
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
      await using mock = await startKafkaMock({
        brokers: 1,
        topics: Object.values(DEFAULT_TOPICS).map((name) => ({ name, partitions: 4 })),
      });
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
        let status: Deno.CommandStatus | null = null;
        p.child.status.then((s) => (status = s));
        // The stop's deadline is 4 s; the process' own backstop is 5 s later.
        await pollUntil("the process to exit after SIGTERM", () => status, 12_000);
        await p.reading;
        const afterStop = p.log().slice(p.log().indexOf('"stopping"'));
        assert.ok(!afterStop.includes('"restarting"'), "no actor restarted once the stop began");
        assert.ok(
          status!.code === 0 || afterStop.includes("shutdown was not clean"),
          `a non-zero exit says why: ${afterStop.slice(-400)}`,
        );
      } finally {
        try {
          p.child.kill("SIGKILL");
        } catch {
          // Exited.
        }
        await p.child.status;
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
