import assert from "node:assert/strict";
import { partitionOf } from "../../src/connectors/kafka/murmur2.ts";
import type { Pipeline } from "../../src/pipeline/pipeline.ts";
import {
  assignedPartitions,
  committedOffsets,
  observerClient,
  runEmbeddedReference,
  startPipelineCluster,
  waitForCommitsToTheEnd,
} from "../helpers/kafka_cluster.ts";
import { skipKafkaTests } from "../helpers/kafka_mock.ts";
import { type PipelineProcess, spawnPipeline } from "../helpers/pipeline_process.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";
import { assertSameResults, sqliteRows } from "../helpers/sqlite_dump.ts";
import {
  migrateSqlite,
  runToEnd,
  startTestPipeline,
  writeReplayFile,
} from "../helpers/test_pipeline.ts";

const PARTITIONS = 6;
// 20 s candles and a window of 55 of them (18 min 20 s), so that the fixture's ~22 minutes reach
// past it and ridge's 49-interval fit samples hold enough feature rows (its features need 26
// candles): every prediction after the takeover depends on the candles the new owner warmed up
// from, and ridge's on the cross-source spread of the two venues, whose venue candles the new
// owner must warm up from too.
const INTERVALS = "--intervals=20s";
const FORECASTS = [
  "--forecast-models=ewma,garch,ridge",
  "--learned-anomaly",
  "--forecast-window=55",
  "--forecast-refit-every=5",
];
const COMMON = [
  INTERVALS,
  // Between the halves the partitions are quiet for as long as the group takes to settle after
  // the kill — more than the default 10 s on a loaded machine — and an idle advance of the
  // watermark is the one place processing time changes results (docs/analytics.md). The reference
  // run never idles, so neither may these.
  "--idle-timeout=1h",
  ...FORECASTS,
  "--kafka-session-timeout=6s",
  "--commit-interval=0",
];
const fixture = generateReplay({
  seed: 4242,
  ticks: 9000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD", "DOGE-USD", "LTC-USD"],
  start: Date.UTC(2026, 7, 1),
  gapMs: 150,
  // Two venues per symbol: venue candles and composites must both survive the takeover.
  venues: ["coinbase", "kraken"],
});

const QUIET = ["--log-level=warn", "--http=off"];
const start = (args: string[]): Promise<Pipeline> => startTestPipeline([...args, ...QUIET]);

Deno.test({
  name:
    "Kafka mode: two processors split the partitions; one killed with SIGKILL, the survivor's results equal an uninterrupted run",
  ignore: skipKafkaTests(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const all = `${dir}/all.ndjson`;
    const firstHalf = `${dir}/first.ndjson`;
    const secondHalf = `${dir}/second.ndjson`;
    const cut = 6000;
    await writeReplayFile(all, fixture.lines);
    await writeReplayFile(firstHalf, fixture.lines.slice(0, cut));
    await writeReplayFile(secondHalf, fixture.lines.slice(cut));
    const mock = await startPipelineCluster({ partitions: PARTITIONS });
    const admin = observerClient(mock).admin();
    await admin.connect();
    const shared = `${dir}/shared.db`;
    const procArgs = [...COMMON, `--kafka-brokers=${mock.bootstrap}`, `--sqlite=${shared}`];
    let victim: PipelineProcess | null = null;
    const running: Pipeline[] = [];
    try {
      // The reference: one uninterrupted embedded run with the same partitioning.
      await runEmbeddedReference({
        file: all,
        db: `${dir}/ref.db`,
        partitions: PARTITIONS,
        args: [INTERVALS, ...FORECASTS, ...QUIET],
      });

      // The schema exists before two processes open the file at once.
      await migrateSqlite(shared);

      const survivor = await start(["--role=process", ...procArgs]);
      running.push(survivor);
      const archive = await start(["--role=archive", ...procArgs]);
      running.push(archive);
      victim = spawnPipeline(["--role=process", ...procArgs, "--http=off", "--log-level=error"]);
      await pollUntil(
        "both processors to share the partitions",
        async () => await assignedPartitions(survivor) === PARTITIONS / 2,
        60000,
        50,
      );

      await runToEnd([
        "--role=ingest",
        `--kafka-brokers=${mock.bootstrap}`,
        "--source=replay",
        `--replay-file=${firstHalf}`,
        "--no-mark-end",
        "--sqlite=",
        ...QUIET,
      ]);
      const withData = new Set(fixture.valid.map((t) => partitionOf(t.symbol, PARTITIONS)));
      await pollUntil(
        "every partition with data to commit progress",
        async () => {
          const c = await committedOffsets(admin, "crypto-process");
          return [...withData].every((p) => (c.get(p) ?? -1) > 0);
        },
        60000,
        50,
      );
      await victim.kill("SIGKILL");
      victim = null;

      await runToEnd([
        "--role=ingest",
        `--kafka-brokers=${mock.bootstrap}`,
        "--source=replay",
        `--replay-file=${secondHalf}`,
        "--sqlite=",
        ...QUIET,
      ]);
      await waitForCommitsToTheEnd(admin, ["crypto-process", "crypto-archive"], {
        timeoutMs: 60000,
        intervalMs: 50,
      });
      for (const p of running.splice(0)) await p.stop();

      // Every candle (each venue's and the composites), indicator, alert (source_divergence, which
      // the two venues raise, included: the new owner restores its horizon from the commit),
      // prediction and tick.
      assertSameResults(shared, `${dir}/ref.db`);
      const divergences = sqliteRows(
        `${dir}/ref.db`,
        "SELECT count(*) AS n FROM alerts WHERE rule = 'source_divergence'",
      );
      assert.ok(Number(divergences[0].n) > 0, "the compared alerts include source_divergence");
      // The predictions compared above are real forecasts past the window, ridge's included
      // (the first ridge fits come after the takeover, at ~16 min), with the spread: every
      // composite the fits read has both venues among its constituents.
      const models = sqliteRows(
        shared,
        "SELECT model, count(*) AS n FROM predictions WHERE " +
          (Date.UTC(2026, 7, 1) + 16 * 60_000) + " <= window_start " +
          "AND (predicted_vol IS NOT NULL OR predicted_return IS NOT NULL) GROUP BY model",
      );
      assert.deepEqual(models.map((r) => r.model), ["ewma", "garch", "ridge"]);
      const composites = sqliteRows(
        shared,
        "SELECT constituents, count(*) AS n FROM candles WHERE venue = 'composite' " +
          "GROUP BY constituents",
      );
      assert.deepEqual(composites.map((r) => r.constituents), ['["coinbase","kraken"]']);
    } finally {
      await victim?.kill("SIGKILL");
      for (const p of running) await p.stop();
      await admin.disconnect();
      await mock.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
