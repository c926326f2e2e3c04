import assert from "node:assert/strict";
import { partitionOf } from "../../src/connectors/kafka/murmur2.ts";
import { packRecords } from "../../src/connectors/kafka/packed_records.ts";
import type { Pipeline } from "../../src/pipeline/pipeline.ts";
import type { AnalyticsMessage } from "../../actors/analytics/analytics_stage.ts";
import type { WindowMessage } from "../../actors/windows/window_stage.ts";
import type { Candle } from "../../src/market/candle.ts";
import {
  assignedPartitions,
  committedOffsets,
  observerClient,
  runEmbeddedReference,
  startPipelineCluster,
  waitForCommitsToTheEnd,
} from "../helpers/kafka_cluster.ts";
import { skipKafkaTests } from "../helpers/kafka_mock.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { metric } from "../helpers/metrics.ts";
import { pollUntil } from "../helpers/services.ts";
import { assertSameResults } from "../helpers/sqlite_dump.ts";
import {
  migrateSqlite,
  runToEnd,
  startTestPipeline,
  writeReplayFile,
} from "../helpers/test_pipeline.ts";

const PARTITIONS = 4;
const INTERVALS = "--intervals=20s";
const QUIET = ["--log-level=error", "--http=off"];
const fixture = generateReplay({
  seed: 977,
  ticks: 6000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD", "DOGE-USD"],
  start: Date.UTC(2026, 9, 1),
  gapMs: 150,
});

Deno.test({
  name:
    "Kafka mode: a partition's window stage and another's analytics stage fail mid-stream; the member rejoins, restores both from their commits, and the results equal an uninterrupted run",
  ignore: skipKafkaTests(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const all = await writeReplayFile(`${dir}/all.ndjson`, fixture.lines);
    const cut = 3500;
    const firstHalf = await writeReplayFile(`${dir}/first.ndjson`, fixture.lines.slice(0, cut));
    const secondHalf = await writeReplayFile(`${dir}/second.ndjson`, fixture.lines.slice(cut));
    const mock = await startPipelineCluster({ partitions: PARTITIONS });
    const admin = observerClient(mock).admin();
    await admin.connect();
    const shared = `${dir}/shared.db`;
    const procArgs = [
      INTERVALS,
      // The pause around the injection must not close windows by processing time: the
      // reference never idles (as in kafka_takeover_test.ts).
      "--idle-timeout=1h",
      "--kafka-session-timeout=6s",
      "--commit-interval=0",
      `--kafka-brokers=${mock.bootstrap}`,
      `--sqlite=${shared}`,
      ...QUIET,
    ];
    const running: Pipeline[] = [];
    /** The `ingest` role replaying `file` into the ticks topic, to its end. */
    const ingest = (file: string, ...args: string[]) =>
      runToEnd([
        "--role=ingest",
        `--kafka-brokers=${mock.bootstrap}`,
        "--source=replay",
        `--replay-file=${file}`,
        "--sqlite=",
        ...args,
        ...QUIET,
      ]);
    try {
      await runEmbeddedReference({
        file: all,
        db: `${dir}/ref.db`,
        partitions: PARTITIONS,
        args: [INTERVALS, ...QUIET],
      });
      await migrateSqlite(shared);
      const processor = await startTestPipeline(["--role=process", ...procArgs]);
      running.push(processor);
      running.push(await startTestPipeline(["--role=archive", ...procArgs]));
      await pollUntil(
        "the processor to own every partition",
        async () => await assignedPartitions(processor) === PARTITIONS,
        60000,
        50,
      );
      await ingest(firstHalf, "--no-mark-end");
      const withData = [...new Set(fixture.valid.map((t) => partitionOf(t.symbol, PARTITIONS)))]
        .sort();
      assert.ok(withData.length >= 2, "the fixture spreads over two partitions or more");
      await pollUntil(
        "every partition with data to commit progress",
        async () => {
          const c = await committedOffsets(admin, "crypto-process");
          return withData.every((p) => (c.get(p) ?? -1) > 0);
        },
        60000,
        50,
      );

      // A bug in each stage, as the runtime sees one: a handler that throws. The windows of both
      // partitions are open (the first half ends mid-window), so a stage that restarted from
      // empty state would store different candles for them, and indicators after them.
      const [a, b] = withData;
      const windows = processor.system.lookup<WindowMessage>(`aggregator-${a}`);
      const analytics = processor.system.lookup<AnalyticsMessage>(`analytics-${b}`);
      assert.ok(windows && analytics, "both stages run");
      await windows.tell({
        kind: "records",
        records: packRecords([], [], []),
        rejected: () => {},
        processed: () => {
          throw new Error("injected window stage fault");
        },
      });
      await analytics.tell({
        kind: "candles",
        rows: [null as unknown as Candle],
        // The injected message itself is not data to keep (dead_letter_relay.ts).
        replayable: true,
      });
      await pollUntil(
        "the member to rejoin and own every partition again",
        async () =>
          await metric(processor.registry, "pipeline_actor_restarts_total", {
              actor: "reader-process",
            }) >=
            1 && await assignedPartitions(processor) === PARTITIONS,
        60000,
        50,
      );
      // Both injected faults reached their stages, and neither stage restarted from empty state.
      for (const actor of [`aggregator-${a}`, `analytics-${b}`]) {
        assert.ok(
          await metric(processor.registry, "pipeline_actor_failures_total", { actor }) >= 1,
          `${actor} failed`,
        );
      }
      let stageRestarts = 0;
      for (let p = 0; p < PARTITIONS; p++) {
        for (const actor of [`aggregator-${p}`, `analytics-${p}`]) {
          stageRestarts += await metric(processor.registry, "pipeline_actor_restarts_total", {
            actor,
          });
        }
      }
      assert.equal(
        stageRestarts,
        0,
        "no stage restarted from empty state",
      );

      await ingest(secondHalf);
      await waitForCommitsToTheEnd(admin, ["crypto-process", "crypto-archive"], {
        timeoutMs: 60000,
        intervalMs: 50,
      });
      for (const p of running.splice(0)) await p.stop();
      assertSameResults(shared, `${dir}/ref.db`);
      assert.equal(processor.givenUp.total, 0, "nothing was given up");
    } finally {
      for (const p of running) await p.stop();
      await admin.disconnect();
      await mock.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
