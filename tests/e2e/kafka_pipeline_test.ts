import assert from "node:assert/strict";
import { runEmbeddedReference, startPipelineCluster } from "../helpers/kafka_cluster.ts";
import { skipKafkaTests } from "../helpers/kafka_mock.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { dumpResults } from "../helpers/sqlite_dump.ts";
import { runToEnd, writeReplayFile } from "../helpers/test_pipeline.ts";

const PARTITIONS = 3;
const fixture = generateReplay({
  seed: 77,
  ticks: 6000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"],
  start: Date.UTC(2026, 5, 1),
  gapMs: 200,
});

const dump = (db: string) => dumpResults(db, { deadLetters: "counts" });

/** Replays the fixture through Kafka (`args` add options) and compares with the embedded run. */
async function equalsEmbedded(args: readonly string[] = []): Promise<void> {
  const dir = await Deno.makeTempDir();
  const file = await writeReplayFile(`${dir}/t.ndjson`, fixture.lines);
  try {
    await runEmbeddedReference({ file, db: `${dir}/embedded.db`, partitions: PARTITIONS });
    await using mock = await startPipelineCluster({ partitions: PARTITIONS });
    const kafka = await runToEnd([
      "--source=replay",
      `--replay-file=${file}`,
      `--sqlite=${dir}/kafka.db`,
      `--kafka-brokers=${mock.bootstrap}`,
      "--kafka-session-timeout=6s",
      "--http=off",
      ...args,
    ]);
    assert.ok((await kafka.terminated).ok);
    const a = dump(`${dir}/embedded.db`);
    const b = dump(`${dir}/kafka.db`);
    assert.ok(a.candles.length > 50);
    assert.ok(a.dead_letters.length > 0, "the fixture has bad lines");
    assert.deepEqual(b.candles, a.candles, "candles");
    assert.deepEqual(b.indicators, a.indicators, "indicators");
    assert.deepEqual(b.alerts, a.alerts, "alerts");
    assert.deepEqual(b.ticks, a.ticks, "raw ticks");
    assert.deepEqual(b.dead_letters, a.dead_letters, "dead letters by reason");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "Kafka mode: ingest → process → SQLite equals the embedded pipeline on the same replay",
  ignore: skipKafkaTests(),
  // kafkajs keeps internal timers for a moment after disconnect.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => equalsEmbedded(),
});

Deno.test({
  // One member, so the mock's group race (docs/kafka.md) is not in play: this runs in every pass,
  // whatever the run's client, and covers the role's path that reads records from the fetched
  // bytes (end markers and bad lines included).
  name:
    "Kafka mode on --kafka-client platformatic: records packed from the fetched bytes give the same results",
  ignore: skipKafkaTests(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => equalsEmbedded(["--kafka-client=platformatic"]),
});
