/**
 * Kafka mode whatever the rebalances (issue #21): a replay's end-of-input markers followed by live
 * data, with a change of owner after the marker; and records whose key or partition does not
 * follow their symbol.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { loadConfig } from "../../src/config/load_config.ts";
import { DEFAULT_TOPICS } from "../../src/connectors/kafka/kafka_config.ts";
import { partitionOf } from "../../src/connectors/kafka/murmur2.ts";
import { encodeTick } from "../../src/connectors/kafka/tick_codec.ts";
import { silentLogger } from "../../src/logger.ts";
import { type Pipeline, startPipeline } from "../../src/pipeline/pipeline.ts";
import { skipKafkaTests, startKafkaMock } from "../helpers/kafka_mock.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";

const PARTITIONS = 6;
const SYMBOLS = ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD", "DOGE-USD", "LTC-USD"];
const COMMON = ["--intervals=1m,5m", "--kafka-session-timeout=6s", "--commit-interval=0"];

function config(args: string[]) {
  const r = loadConfig({ args: [...args, "--log-level=warn"], env: () => undefined });
  if (r.kind !== "ok") throw new Error(JSON.stringify(r));
  return r.config;
}
const start = (args: string[]): Promise<Pipeline> =>
  startPipeline(config([...args, "--http=off"]), { logger: silentLogger });

function rows(db: string, sql: string) {
  const conn = new DatabaseSync(db, { readOnly: true });
  try {
    return conn.prepare(sql).all().map((r) => ({ ...r }));
  } finally {
    conn.close();
  }
}

/** Results that must not depend on who processed what (processing-time columns left out). */
function results(db: string) {
  const key = `symbol, "interval", window_start`;
  return {
    candles: rows(db, `SELECT * FROM candles ORDER BY ${key}`),
    indicators: rows(db, `SELECT * FROM indicators ORDER BY ${key}`),
    alerts: rows(db, `SELECT * FROM alerts ORDER BY id`),
    late: rows(db, `SELECT raw FROM dead_letters WHERE reason = 'late' ORDER BY raw`),
  };
}

async function kafkaSetUp() {
  const mock = await startKafkaMock({
    brokers: 1,
    topics: Object.values(DEFAULT_TOPICS).map((name) => ({ name, partitions: PARTITIONS })),
  });
  const kafka = new Kafka({ brokers: [...mock.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  /** Committed offsets of `group` on the ticks topic, read as any Kafka tool reads them. */
  const committed = async (group: string) => {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [DEFAULT_TOPICS.ticks] });
    return new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]));
  };
  const highs = async () =>
    new Map(
      (await admin.fetchTopicOffsets(DEFAULT_TOPICS.ticks)).map((p) => [
        p.partition,
        Number(p.high),
      ]),
    );
  /** Waits until `group` committed everything written so far (a lag of 0 in Kafka's own terms). */
  const caughtUp = async (group: string) => {
    const ends = await highs();
    await pollUntil(`${group} to commit up to the high watermarks`, async () => {
      const c = await committed(group);
      return [...ends].every(([p, high]) => high === 0 || c.get(p) === high);
    }, { timeoutMs: 90_000, describe: async () => [[...await committed(group)], [...ends]] });
  };
  return {
    mock,
    kafka,
    caughtUp,
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
    await Deno.writeTextFile(files.history, history.lines.join("\n") + "\n");
    await Deno.writeTextFile(files.live, live.lines.join("\n") + "\n");
    await Deno.writeTextFile(files.both, [...history.lines, ...live.lines].join("\n") + "\n");
    const k = await kafkaSetUp();
    const shared = `${dir}/shared.db`;
    const procArgs = [...COMMON, `--kafka-brokers=${k.mock.bootstrap}`, `--sqlite=${shared}`];
    let victim: Deno.ChildProcess | null = null;
    const running: Pipeline[] = [];
    try {
      // The reference: one uninterrupted embedded run over the history and the live data.
      const reference = await start([
        ...COMMON.slice(0, 1),
        "--source=replay",
        `--replay-file=${files.both}`,
        `--sqlite=${dir}/ref.db`,
        `--partitions=${PARTITIONS}`,
      ]);
      await reference.drained;
      await reference.stop();

      const empty = `${dir}/empty.ndjson`;
      await Deno.writeTextFile(empty, "");
      const init = await start(["--source=replay", `--replay-file=${empty}`, `--sqlite=${shared}`]);
      await init.stop();

      const survivor = await start(["--role=process", ...procArgs]);
      running.push(survivor);
      victim = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "src/main.ts", "--role=process", ...procArgs, "--http=off"],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const assigned = async (n: number) => {
        const text = await survivor.registry.metrics();
        const m = /pipeline_kafka_assigned_partitions\{group="crypto-process"\} (\d+)/.exec(text);
        return m !== null && Number(m[1]) === n;
      };
      await pollUntil("both processors to share the partitions", () => assigned(3), 60_000, 50);

      // The history, ending with a marker on every partition (the default).
      const ingest1 = await start([
        "--role=ingest",
        `--kafka-brokers=${k.mock.bootstrap}`,
        "--source=replay",
        `--replay-file=${files.history}`,
        "--sqlite=",
      ]);
      await ingest1.drained;
      await ingest1.stop();
      await k.caughtUp("crypto-process");

      // The owner of half the partitions dies after their markers; the survivor takes over.
      victim.kill("SIGKILL");
      await victim.status;
      victim = null;
      await pollUntil("the survivor to own every partition", () => assigned(6), 60_000, 50);

      // Live data (a finite file here, so it ends with markers as well).
      const ingest2 = await start([
        "--role=ingest",
        `--kafka-brokers=${k.mock.bootstrap}`,
        "--source=replay",
        `--replay-file=${files.live}`,
        "--sqlite=",
      ]);
      await ingest2.drained;
      await ingest2.stop();
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
      victim?.kill("SIGKILL");
      await victim?.status;
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
    const file = `${dir}/t.ndjson`;
    await Deno.writeTextFile(file, fixture.lines.join("\n") + "\n");
    const k = await kafkaSetUp();
    try {
      const reference = await start([
        ...COMMON.slice(0, 1),
        "--source=replay",
        `--replay-file=${file}`,
        `--sqlite=${dir}/ref.db`,
        `--partitions=${PARTITIONS}`,
      ]);
      await reference.drained;
      await reference.stop();

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
      const kafka = await start([
        "--source=replay",
        `--replay-file=${file}`,
        `--sqlite=${dir}/kafka.db`,
        `--kafka-brokers=${k.mock.bootstrap}`,
        "--kafka-session-timeout=6s",
        ...COMMON.slice(0, 1),
      ]);
      await kafka.drained;
      await kafka.stop();

      const misrouted = rows(
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
      // Nothing misrouted reached a candle: BTC-USD's candles are the reference's plus only the
      // foreign ticks its own partition accepted.
      const btc = (db: string) =>
        rows(
          db,
          `SELECT window_start, "interval", volume FROM candles WHERE symbol = 'BTC-USD' ORDER BY "interval", window_start`,
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
