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

Deno.test({
  name: "Kafka mode: ingest → process → SQLite equals the embedded pipeline on the same replay",
  ignore: skipKafkaTests(),
  // kafkajs keeps internal timers for a moment after disconnect.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
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
      ]);
      assert.ok((await kafka.terminated).ok);
      const a = dump(`${dir}/embedded.db`);
      const b = dump(`${dir}/kafka.db`);
      assert.ok(a.candles.length > 50);
      assert.deepEqual(b.candles, a.candles, "candles");
      assert.deepEqual(b.indicators, a.indicators, "indicators");
      assert.deepEqual(b.alerts, a.alerts, "alerts");
      assert.deepEqual(b.ticks, a.ticks, "raw ticks");
      assert.deepEqual(b.dead_letters, a.dead_letters, "dead letters by reason");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
