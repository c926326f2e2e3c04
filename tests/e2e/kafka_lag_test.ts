/**
 * Consumer lag that standard tools read truthfully (issue #19): with 1h windows open, a caught-up
 * group's committed offsets are the high watermarks — read with a plain Kafka admin client, as
 * `kafka-consumer-groups`, Kafka UI or KEDA read them — while the restore point a new owner needs
 * travels in the commit metadata.
 */
import assert from "node:assert/strict";
import { DEFAULT_TOPICS } from "../../src/connectors/kafka/kafka_config.ts";
import type { Pipeline } from "../../src/pipeline/pipeline.ts";
import {
  observerClient,
  startPipelineCluster,
  waitForCommitsToTheEnd,
} from "../helpers/kafka_cluster.ts";
import { skipKafkaTests } from "../helpers/kafka_mock.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { runToEnd, startTestPipeline, writeReplayFile } from "../helpers/test_pipeline.ts";

const PARTITIONS = 4;
const QUIET = ["--http=off", "--log-level=warn"];
const start = (args: string[]): Promise<Pipeline> => startTestPipeline([...args, ...QUIET]);

Deno.test({
  name:
    "Kafka mode: two caught-up processors with 1h windows open show a lag of 0 in Kafka's own offsets; the restore point is in the metadata",
  ignore: skipKafkaTests(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // 40 minutes of event time: every 1h window is still open at the end.
    const fixture = generateReplay({
      seed: 1901,
      ticks: 8000,
      symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD"],
      start: Date.UTC(2026, 9, 1, 10),
      gapMs: 300,
    });
    const dir = await Deno.makeTempDir();
    const file = await writeReplayFile(`${dir}/t.ndjson`, fixture.lines);
    const mock = await startPipelineCluster({ partitions: PARTITIONS });
    const admin = observerClient(mock).admin();
    await admin.connect();
    const running: Pipeline[] = [];
    try {
      const common = [
        `--kafka-brokers=${mock.bootstrap}`,
        "--kafka-session-timeout=6s",
        "--intervals=1m,5m,1h",
      ];
      for (const db of ["a", "b"]) {
        running.push(await start(["--role=process", ...common, `--sqlite=${dir}/${db}.db`]));
      }
      // A live-like input: no end marker, so the windows stay open after the last record.
      await runToEnd([
        "--role=ingest",
        ...common,
        "--source=replay",
        `--replay-file=${file}`,
        "--no-mark-end",
        "--sqlite=",
        ...QUIET,
      ]);

      const highs = new Map(
        (await admin.fetchTopicOffsets(DEFAULT_TOPICS.ticks)).map((p) => [
          p.partition,
          Number(p.high),
        ]),
      );
      const offsets = async () =>
        (await admin.fetchOffsets({ groupId: "crypto-process", topics: [DEFAULT_TOPICS.ticks] }))[0]
          .partitions;
      // The group's committed lag reaches 0.
      await waitForCommitsToTheEnd(admin, ["crypto-process"], {
        timeoutMs: 60_000,
        describe: async () => JSON.stringify(await offsets()),
      });

      // The restore point is before the committed offset wherever a 1h window holds data.
      for (const p of await offsets()) {
        if ((highs.get(p.partition) ?? 0) === 0) continue;
        const meta = JSON.parse(p.metadata ?? "null");
        assert.equal(meta.v, 2, p.metadata ?? "");
        assert.ok(meta.restore < Number(p.offset), `partition ${p.partition}: ${p.metadata}`);
      }
      // Our own gauges agree with what the tools see.
      let lag = 0;
      let depth = 0;
      for (const p of running) {
        const text = await p.registry.metrics();
        for (const m of text.matchAll(/^pipeline_kafka_consumer_lag\{[^}]*\} (\d+)/gm)) {
          lag += Number(m[1]);
        }
        for (const m of text.matchAll(/^pipeline_kafka_restore_depth_records\{[^}]*\} (\d+)/gm)) {
          depth += Number(m[1]);
        }
      }
      assert.equal(lag, 0);
      assert.ok(depth > 0, "restore depth is reported");
    } finally {
      for (const p of running) await p.stop();
      await admin.disconnect();
      await mock.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
