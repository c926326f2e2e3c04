import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Kafka, logLevel } from "kafkajs";
import { loadConfig } from "../../src/config/load_config.ts";
import { DEFAULT_TOPICS } from "../../src/connectors/kafka/kafka_config.ts";
import { partitionOf } from "../../src/connectors/kafka/murmur2.ts";
import { silentLogger } from "../../src/logger.ts";
import { type Pipeline, startPipeline } from "../../src/pipeline/pipeline.ts";
import { skipKafkaTests, startKafkaMock } from "../helpers/kafka_mock.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";

const PARTITIONS = 6;
const COMMON = ["--intervals=1m", "--kafka-session-timeout=6s", "--commit-interval=0"];
const fixture = generateReplay({
  seed: 4242,
  ticks: 9000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD", "DOGE-USD", "LTC-USD"],
  start: Date.UTC(2026, 7, 1),
  gapMs: 150,
});

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
    await Deno.writeTextFile(all, fixture.lines.join("\n") + "\n");
    await Deno.writeTextFile(firstHalf, fixture.lines.slice(0, cut).join("\n") + "\n");
    await Deno.writeTextFile(secondHalf, fixture.lines.slice(cut).join("\n") + "\n");
    const mock = await startKafkaMock({
      brokers: 1,
      topics: Object.values(DEFAULT_TOPICS).map((name) => ({ name, partitions: PARTITIONS })),
    });
    const kafka = new Kafka({ brokers: [...mock.brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const shared = `${dir}/shared.db`;
    const procArgs = [...COMMON, `--kafka-brokers=${mock.bootstrap}`, `--sqlite=${shared}`];
    let victim: Deno.ChildProcess | null = null;
    const running: Pipeline[] = [];
    try {
      // The reference: one uninterrupted embedded run with the same partitioning.
      const reference = await start([
        ...COMMON.slice(0, 1),
        "--source=replay",
        `--replay-file=${all}`,
        `--sqlite=${dir}/ref.db`,
        `--partitions=${PARTITIONS}`,
      ]);
      await reference.drained;
      await reference.stop();

      // The schema exists before two processes open the file at once. An empty replay: a real
      // one could get some ticks in before the stop on a slow machine, and its candles (of every
      // default interval) would then be in the shared database.
      const empty = `${dir}/empty.ndjson`;
      await Deno.writeTextFile(empty, "");
      const init = await start(["--source=replay", `--replay-file=${empty}`, `--sqlite=${shared}`]);
      await init.stop();

      const survivor = await start(["--role=process", ...procArgs]);
      running.push(survivor);
      const archive = await start(["--role=archive", ...procArgs]);
      running.push(archive);
      victim = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "src/main.ts",
          "--role=process",
          ...procArgs,
          "--http=off",
          "--log-level=error",
        ],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const assigned = async () => {
        const text = await survivor.registry.metrics();
        const m = /pipeline_kafka_assigned_partitions\{group="crypto-process"\} (\d+)/.exec(text);
        return m !== null && Number(m[1]) === PARTITIONS / 2;
      };
      await pollUntil("both processors to share the partitions", assigned, 60000, 50);

      const ingest1 = await start([
        "--role=ingest",
        `--kafka-brokers=${mock.bootstrap}`,
        "--source=replay",
        `--replay-file=${firstHalf}`,
        "--no-mark-end",
        "--sqlite=",
      ]);
      await ingest1.drained;
      await ingest1.stop();
      const committed = async (group: string) => {
        const [t] = await admin.fetchOffsets({ groupId: group, topics: [DEFAULT_TOPICS.ticks] });
        return new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]));
      };
      const withData = new Set(fixture.valid.map((t) => partitionOf(t.symbol, PARTITIONS)));
      await pollUntil(
        "every partition with data to commit progress",
        async () => {
          const c = await committed("crypto-process");
          return [...withData].every((p) => (c.get(p) ?? -1) > 0);
        },
        60000,
        50,
      );
      victim.kill("SIGKILL");
      await victim.status;
      victim = null;

      const ingest2 = await start([
        "--role=ingest",
        `--kafka-brokers=${mock.bootstrap}`,
        "--source=replay",
        `--replay-file=${secondHalf}`,
        "--sqlite=",
      ]);
      await ingest2.drained;
      await ingest2.stop();
      const ends = new Map(
        (await admin.fetchTopicOffsets(DEFAULT_TOPICS.ticks)).map((
          p,
        ) => [p.partition, Number(p.high)]),
      );
      for (const group of ["crypto-process", "crypto-archive"]) {
        await pollUntil(
          `${group} to commit everything`,
          async () => {
            const c = await committed(group);
            return [...ends].every(([p, high]) => high === 0 || c.get(p) === high);
          },
          60000,
          50,
        );
      }
      for (const p of running.splice(0)) await p.stop();

      const q = (db: string, table: string, order: string) =>
        rows(db, `SELECT * FROM ${table} ORDER BY ${order}`);
      const key = `symbol, "interval", window_start`;
      assert.deepEqual(q(shared, "candles", key), q(`${dir}/ref.db`, "candles", key), "candles");
      assert.deepEqual(
        q(shared, "ticks", "source, symbol, id"),
        q(`${dir}/ref.db`, "ticks", "source, symbol, id"),
        "raw ticks",
      );
      assert.deepEqual(
        q(shared, "indicators", key),
        q(`${dir}/ref.db`, "indicators", key),
        "indicators",
      );
      assert.deepEqual(q(shared, "alerts", "id"), q(`${dir}/ref.db`, "alerts", "id"), "alerts");
    } finally {
      victim?.kill("SIGKILL");
      await victim?.status;
      for (const p of running) await p.stop();
      await admin.disconnect();
      await mock.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
