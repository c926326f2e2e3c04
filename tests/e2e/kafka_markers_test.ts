/**
 * Kafka mode whatever the rebalances (issue #21): a replay's end-of-input markers followed by live
 * data, with a change of owner after the marker; and records whose key or partition does not
 * follow their symbol.
 */
import assert from "node:assert/strict";
import { Partitioners } from "kafkajs";
import { DEFAULT_TOPICS } from "../../src/connectors/kafka/kafka_config.ts";
import { partitionOf } from "../../src/connectors/kafka/murmur2.ts";
import { encodeTick } from "../../src/connectors/kafka/tick_codec.ts";
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
import { RESULT_QUERIES, sqliteRows } from "../helpers/sqlite_dump.ts";
import {
  migrateSqlite,
  runToEnd,
  startTestPipeline,
  writeReplayFile,
} from "../helpers/test_pipeline.ts";

const PARTITIONS = 6;
const SYMBOLS = ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD", "DOGE-USD", "LTC-USD"];
// No idle advance (docs/analytics.md: the one place processing time changes results): the pauses
// between the steps here outlast the default 10 s on a loaded machine, and the reference never idles.
const COMMON = [
  "--intervals=1m,5m",
  "--kafka-session-timeout=6s",
  "--commit-interval=0",
  "--idle-timeout=1h",
];
const QUIET = ["--log-level=warn", "--http=off"];
const start = (args: string[]): Promise<Pipeline> => startTestPipeline([...args, ...QUIET]);

/** Results that must not depend on who processed what (processing-time columns left out). */
function results(db: string) {
  return {
    candles: sqliteRows(db, RESULT_QUERIES.candles),
    indicators: sqliteRows(db, RESULT_QUERIES.indicators),
    alerts: sqliteRows(db, RESULT_QUERIES.alerts),
    late: sqliteRows(db, `SELECT raw FROM dead_letters WHERE reason = 'late' ORDER BY raw`),
  };
}

async function kafkaSetUp() {
  const mock = await startPipelineCluster({ partitions: PARTITIONS });
  const kafka = observerClient(mock);
  const admin = kafka.admin();
  await admin.connect();
  return {
    mock,
    kafka,
    /** Waits until `group` committed everything written so far (a lag of 0 in Kafka's terms). */
    caughtUp: (group: string) => waitForCommitsToTheEnd(admin, [group], { timeoutMs: 90_000 }),
    async close() {
      await admin.disconnect();
      await mock.stop();
    },
  };
}

Deno.test({
  name:
    "Kafka mode: a replay with end markers, then live data, with a change of owner after the marker, equals one embedded run over both",
  ignore: skipKafkaTests(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const history = generateReplay({
      seed: 2101,
      ticks: 6000,
      symbols: SYMBOLS,
      start: Date.UTC(2026, 8, 1),
      gapMs: 150,
    });
    const lastTs = Math.max(...history.valid.map((t) => t.ts));
    // Live data two hours after the replay's end: new windows by the normal rules.
    const live = generateReplay({
      seed: 2102,
      ticks: 1500,
      symbols: SYMBOLS,
      start: lastTs + 2 * 3_600_000,
      gapMs: 150,
    });
    const dir = await Deno.makeTempDir();
    const files = {
      history: `${dir}/history.ndjson`,
      live: `${dir}/live.ndjson`,
      both: `${dir}/both.ndjson`,
    };
    await writeReplayFile(files.history, history.lines);
    await writeReplayFile(files.live, live.lines);
    await writeReplayFile(files.both, [...history.lines, ...live.lines]);
    const k = await kafkaSetUp();
    const shared = `${dir}/shared.db`;
    const procArgs = [...COMMON, `--kafka-brokers=${k.mock.bootstrap}`, `--sqlite=${shared}`];
    let victim: PipelineProcess | null = null;
    const running: Pipeline[] = [];
    try {
      // The reference: one uninterrupted embedded run over the history and the live data.
      await runEmbeddedReference({
        file: files.both,
        db: `${dir}/ref.db`,
        partitions: PARTITIONS,
        args: [...COMMON.slice(0, 1), ...QUIET],
      });

      // The schema exists before two processes open the file at once.
      await migrateSqlite(shared);

      const survivor = await start(["--role=process", ...procArgs]);
      running.push(survivor);
      victim = spawnPipeline(["--role=process", ...procArgs, "--http=off"]);
      const assigned = async (n: number) => await assignedPartitions(survivor) === n;
      await pollUntil("both processors to share the partitions", () => assigned(3), 60_000, 50);

      // The history, ending with a marker on every partition (the default).
      await runToEnd([
        "--role=ingest",
        `--kafka-brokers=${k.mock.bootstrap}`,
        "--source=replay",
        `--replay-file=${files.history}`,
        "--sqlite=",
        ...QUIET,
      ]);
      await k.caughtUp("crypto-process");

      // The owner of half the partitions dies after their markers; the survivor takes over.
      await victim.kill("SIGKILL");
      victim = null;
      await pollUntil("the survivor to own every partition", () => assigned(6), 60_000, 50);

      // Live data (a finite file here, so it ends with markers as well).
      await runToEnd([
        "--role=ingest",
        `--kafka-brokers=${k.mock.bootstrap}`,
        "--source=replay",
        `--replay-file=${files.live}`,
        "--sqlite=",
        ...QUIET,
      ]);
      await k.caughtUp("crypto-process");
      for (const p of running.splice(0)) await p.stop();

      const expected = results(`${dir}/ref.db`);
      const got = results(shared);
      const liveWindows = (r: typeof got) =>
        r.candles.filter((c) => (c.window_start as number) > lastTs).length;
      assert.ok(liveWindows(expected) > 20, "the live data makes candles in the reference");
      assert.deepEqual(got.late, expected.late, "late ticks: the live data is not late");
      assert.deepEqual(got.candles, expected.candles, "candles");
      assert.deepEqual(got.indicators, expected.indicators, "indicators");
      assert.deepEqual(got.alerts, expected.alerts, "alerts");
    } finally {
      await victim?.kill("SIGKILL");
      for (const p of running) await p.stop();
      await k.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "Kafka mode: records whose key or partition does not follow their symbol are dead letters `misrouted`, with their bytes",
  ignore: skipKafkaTests(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fixture = generateReplay({
      seed: 2103,
      ticks: 3000,
      symbols: SYMBOLS,
      start: Date.UTC(2026, 8, 2),
      gapMs: 150,
    });
    const dir = await Deno.makeTempDir();
    const file = await writeReplayFile(`${dir}/t.ndjson`, fixture.lines);
    const k = await kafkaSetUp();
    try {
      await runEmbeddedReference({
        file,
        db: `${dir}/ref.db`,
        partitions: PARTITIONS,
        args: [...COMMON.slice(0, 1), ...QUIET],
      });

      // A foreign producer, before our ingest: ticks for BTC-USD on a partition that is not
      // BTC-USD's, in three ways. Event times inside the fixture's range, so that aggregating
      // them anywhere would change candles.
      const home = partitionOf("BTC-USD", PARTITIONS);
      const other = SYMBOLS.find((s) => partitionOf(s, PARTITIONS) !== home)!;
      const ts = fixture.valid[100].ts;
      const foreign = (id: string) =>
        encodeTick({ source: "foreign", symbol: "BTC-USD", price: 1, size: 5, ts, id }).value;
      const producer = k.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      await producer.send({
        topic: DEFAULT_TOPICS.ticks,
        messages: [
          { key: other, value: foreign("wrong-key") }, // keyed by another symbol
          { key: null, value: foreign("no-key-1") }, // round robin
          { key: null, value: foreign("no-key-2") },
          { key: null, value: foreign("no-key-3") },
          { key: null, value: foreign("no-key-4") },
          { key: null, value: foreign("no-key-5") },
          { key: null, value: foreign("no-key-6") },
          { key: "BTC-USD", partition: (home + 1) % PARTITIONS, value: foreign("wrong-part") },
        ],
      });
      await producer.disconnect();
      await runToEnd([
        "--source=replay",
        `--replay-file=${file}`,
        `--sqlite=${dir}/kafka.db`,
        `--kafka-brokers=${k.mock.bootstrap}`,
        "--kafka-session-timeout=6s",
        ...COMMON.slice(0, 1),
        ...QUIET,
      ]);

      const misrouted = sqliteRows(
        `${dir}/kafka.db`,
        `SELECT detail, raw, source FROM dead_letters WHERE reason = 'misrouted' ORDER BY raw`,
      );
      const ids = misrouted.map((r) => JSON.parse(r.raw as string).id as string);
      assert.ok(ids.includes("wrong-key"), JSON.stringify(ids));
      assert.ok(ids.includes("wrong-part"), JSON.stringify(ids));
      // Round robin puts about five of six keyless records elsewhere: those are dead letters,
      // the rest are trades of BTC-USD on its own partition.
      const keyless = ids.filter((id) => id.startsWith("no-key")).length;
      assert.ok(keyless >= 1 && keyless <= 6, `${keyless}`);
      assert.equal(ids.length, keyless + 2, JSON.stringify(ids));
      for (const r of misrouted) {
        assert.match(r.detail as string, new RegExp(`^BTC-USD belongs to partition ${home} of 6`));
        assert.match(r.source as string, /^crypto\.ticks\/\d+@\d+$/);
        assert.equal(JSON.parse(r.raw as string).source, "foreign", "the original bytes");
      }
      // Nothing misrouted reached a candle: BTC-USD's composite candles are the reference's plus
      // only the foreign ticks its own partition accepted (the foreign venue's own candles aside).
      const btc = (db: string) =>
        sqliteRows(
          db,
          `SELECT window_start, "interval", volume FROM candles WHERE symbol = 'BTC-USD' AND venue = 'composite' ORDER BY "interval", window_start`,
        );
      const extra = (6 - keyless) * 5;
      const sum = (rs: Record<string, unknown>[]) =>
        rs.reduce((n, r) => n + (r.volume as number), 0);
      const got = btc(`${dir}/kafka.db`).filter((r) => r.interval === "1m");
      const want = btc(`${dir}/ref.db`).filter((r) => r.interval === "1m");
      assert.equal(got.length, want.length);
      assert.ok(Math.abs(sum(got) - sum(want) - extra) < 1e-6, `${sum(got)} vs ${sum(want)}`);
    } finally {
      await k.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
