/**
 * Fault matrix: `kill -9` of a `process` instance at five seeded points while ticks flow, a new
 * instance started after each kill. The group (the survivor and the next instance) must complete,
 * and the stored candles, indicators, alerts and raw ticks must equal one uninterrupted embedded
 * run's — no duplicate row, nothing missing.
 * @module
 */
import assert from "node:assert/strict";
import { Prng } from "../../src/feeds/prng.ts";
import type { Pipeline } from "../../src/pipeline/pipeline.ts";
import {
  assignedPartitions,
  observerClient,
  runEmbeddedReference,
  startPipelineCluster,
  waitForCommitsToTheEnd,
} from "../helpers/kafka_cluster.ts";
import { skipKafkaTests } from "../helpers/kafka_mock.ts";
import { type PipelineProcess, spawnPipeline } from "../helpers/pipeline_process.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";
import { assertSameResults } from "../helpers/sqlite_dump.ts";
import { migrateSqlite, startTestPipeline, writeReplayFile } from "../helpers/test_pipeline.ts";

const PARTITIONS = 6;
const KILLS = 5;
const COMMON = [
  "--intervals=1m",
  "--kafka-session-timeout=4s",
  "--commit-interval=200ms",
  // A new owner can wait longer than the default 10 s for its first records on a loaded machine
  // (the group settling, the seek to the restore point), and an idle advance of the watermark is
  // the one place processing time changes results (docs/analytics.md). The reference run never
  // idles, so neither may these, as in the other Kafka tests that compare with it.
  "--idle-timeout=1h",
];
const fixture = generateReplay({
  seed: 9090,
  ticks: 12_000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD", "DOGE-USD", "LTC-USD"],
  start: Date.UTC(2026, 8, 1),
  gapMs: 150,
});

const QUIET = ["--log-level=warn", "--http=off"];
const start = (args: string[]): Promise<Pipeline> => startTestPipeline([...args, ...QUIET]);

Deno.test({
  name: `kill -9 of a process instance at ${KILLS} seeded points while ticks flow: the results ` +
    "equal an uninterrupted run's, no duplicate rows",
  ignore: skipKafkaTests(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "kill_kafka_" });
    const file = await writeReplayFile(`${dir}/ticks.ndjson`, fixture.lines);
    await using mock = await startPipelineCluster({ partitions: PARTITIONS });
    const admin = observerClient(mock).admin();
    await admin.connect();
    const shared = `${dir}/shared.db`;
    const kafkaArgs = [...COMMON, `--kafka-brokers=${mock.bootstrap}`, `--sqlite=${shared}`];
    const running: Pipeline[] = [];
    let victim: PipelineProcess | null = null;
    try {
      await runEmbeddedReference({
        file,
        db: `${dir}/ref.db`,
        partitions: PARTITIONS,
        args: [COMMON[0], ...QUIET],
      });
      // The schema exists before several processes open the file.
      await migrateSqlite(shared);

      const survivor = await start(["--role=process", ...kafkaArgs]);
      running.push(survivor);
      running.push(await start(["--role=archive", ...kafkaArgs]));
      // ~30 minutes of event time at 40×: ticks flow for about 45 s, through every kill.
      const ingest = await start([
        "--role=ingest",
        `--kafka-brokers=${mock.bootstrap}`,
        "--source=replay",
        `--replay-file=${file}`,
        "--replay-speed=40",
        "--sqlite=",
      ]);
      running.push(ingest);

      const rng = new Prng(77);
      for (let k = 0; k < KILLS; k++) {
        const instance = spawnPipeline([
          "--role=process",
          ...kafkaArgs,
          "--http=off",
          "--log-level=error",
        ]);
        victim = instance;
        const errors = () => instance.log().slice(-2000);
        await pollUntil(
          `instance ${k} to share the partitions`,
          async () => await assignedPartitions(survivor) === PARTITIONS / 2,
          { timeoutMs: 60_000, describe: errors },
        );
        // A seeded moment while the instance owns its partitions and ticks flow.
        await new Promise((r) => setTimeout(r, 200 + Math.floor(rng.next() * 1500)));
        assert.equal(instance.exited, false, `instance ${k} died on its own: ${errors()}`);
        await instance.kill("SIGKILL");
        victim = null;
        await pollUntil(
          `the survivor to take over after kill ${k}`,
          async () => await assignedPartitions(survivor) === PARTITIONS,
          60_000,
        );
      }
      await ingest.drained;
      await waitForCommitsToTheEnd(admin, ["crypto-process", "crypto-archive"], {
        timeoutMs: 60_000,
      });
      for (const p of running.splice(0)) await p.stop();

      assertSameResults(shared, `${dir}/ref.db`);
    } finally {
      await victim?.kill("SIGKILL");
      for (const p of running) await p.stop();
      await admin.disconnect();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
