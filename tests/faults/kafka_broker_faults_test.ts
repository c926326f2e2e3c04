/**
 * Fault matrix: Kafka broker faults while ticks are produced and consumed — every broker down for
 * 10 s, then the group coordinator and partition leaders moving. Nothing may be lost or invented:
 * the distinct ticks produced equal the distinct ticks stored, and the candles equal an embedded
 * run's.
 * @module
 */
import assert from "node:assert/strict";
import { DEFAULT_TOPICS } from "../../src/connectors/kafka/kafka_config.ts";
import type { Pipeline } from "../../src/pipeline/pipeline.ts";
import { runEmbeddedReference, startPipelineCluster } from "../helpers/kafka_cluster.ts";
import { skipKafkaTests } from "../helpers/kafka_mock.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";
import { RESULT_QUERIES, sqliteCount, sqliteRows } from "../helpers/sqlite_dump.ts";
import { startTestPipeline, writeReplayFile } from "../helpers/test_pipeline.ts";

const PARTITIONS = 4;
const BROKERS = 3;
const fixture = generateReplay({
  seed: 4711,
  ticks: 8000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD"],
  start: Date.UTC(2026, 9, 1),
  gapMs: 150,
});
const COMMON = ["--http=off", "--kafka-session-timeout=6s"];
const start = (args: string[]): Promise<Pipeline> => startTestPipeline([...args, ...COMMON]);

Deno.test({
  name: "every Kafka broker down for 10 s while ticks flow, then coordinator and leaders move: " +
    "distinct ticks produced = stored, candles equal an embedded run's",
  ignore: skipKafkaTests(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "broker_faults_" });
    await using mock = await startPipelineCluster({ brokers: BROKERS, partitions: PARTITIONS });
    try {
      const file = await writeReplayFile(`${dir}/t.ndjson`, fixture.lines);
      // ~20 minutes of event time at 60×: about 20 s of produce and consume around the faults.
      const pipeline = await start([
        "--source=replay",
        `--replay-file=${file}`,
        "--replay-speed=60",
        `--kafka-brokers=${mock.bootstrap}`,
        `--sqlite=${dir}/kafka.db`,
      ]);
      try {
        await pollUntil("ticks to flow", () => sqliteCount(`${dir}/kafka.db`) > 0, 30_000);
        for (let b = 1; b <= BROKERS; b++) await mock.brokerDown(b);
        await new Promise((r) => setTimeout(r, 10_000)); // the outage itself, not a wait
        for (let b = 1; b <= BROKERS; b++) await mock.brokerUp(b);
        await mock.setCoordinator("crypto-process", 2);
        await mock.setCoordinator("crypto-archive", 3);
        for (let p = 0; p < PARTITIONS; p++) {
          await mock.setPartitionLeader(DEFAULT_TOPICS.ticks, p, 1 + ((p + 1) % BROKERS));
        }
        await pipeline.drained;
      } finally {
        await pipeline.stop();
      }
      assert.ok((await pipeline.terminated).ok, "no escalation, a clean stop");
      assert.equal(pipeline.givenUp.total, 0, "nothing given up");

      await runEmbeddedReference({ file, db: `${dir}/embedded.db`, partitions: PARTITIONS });
      const { ticks, candles } = RESULT_QUERIES;
      const distinct = new Set(fixture.valid.map((t) => `${t.source}|${t.symbol}|${t.id}`));
      const stored = sqliteRows(`${dir}/kafka.db`, ticks).length;
      const letters = sqliteRows(
        `${dir}/kafka.db`,
        "SELECT reason, source, count(*) AS n FROM dead_letters GROUP BY reason, source",
      );
      assert.equal(
        stored,
        distinct.size,
        `distinct ticks stored; dead letters ${JSON.stringify(letters)}`,
      );
      assert.deepEqual(
        sqliteRows(`${dir}/kafka.db`, ticks),
        sqliteRows(`${dir}/embedded.db`, ticks),
      );
      assert.deepEqual(
        sqliteRows(`${dir}/kafka.db`, candles),
        sqliteRows(`${dir}/embedded.db`, candles),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
