/**
 * Fault matrix: `kill -9` of a `process` instance at five seeded points while ticks flow, a new
 * instance started after each kill. The group (the survivor and the next instance) must complete,
 * and the stored candles, indicators, alerts and raw ticks must equal one uninterrupted embedded
 * run's — no duplicate row, nothing missing.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Kafka, logLevel } from "kafkajs";
import { loadConfig } from "../../src/config/load_config.ts";
import { DEFAULT_TOPICS } from "../../src/connectors/kafka/kafka_config.ts";
import { Prng } from "../../src/feeds/prng.ts";
import { silentLogger } from "../../src/logger.ts";
import { type Pipeline, startPipeline } from "../../src/pipeline/pipeline.ts";
import { skipKafkaTests, startKafkaMock } from "../helpers/kafka_mock.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";

const PARTITIONS = 6;
const KILLS = 5;
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const COMMON = ["--intervals=1m", "--kafka-session-timeout=4s", "--commit-interval=200ms"];
const fixture = generateReplay({
  seed: 9090,
  ticks: 12_000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD", "DOGE-USD", "LTC-USD"],
  start: Date.UTC(2026, 8, 1),
  gapMs: 150,
});

function config(args: string[]) {
  const r = loadConfig({ args: [...args, "--log-level=warn", "--http=off"], env: () => undefined });
  if (r.kind !== "ok") throw new Error(JSON.stringify(r));
  return r.config;
}
const start = (args: string[]): Promise<Pipeline> =>
  startPipeline(config(args), { logger: silentLogger });

function table(db: string, sql: string) {
  const conn = new DatabaseSync(db, { readOnly: true });
  try {
    return conn.prepare(sql).all().map((r) => ({ ...r }));
  } finally {
    conn.close();
  }
}

/** A child's stderr as it comes, and whether it exited. */
function collect(child: Deno.ChildProcess): { text(): string; exited: boolean } {
  let text = "";
  const out = { text: () => text.slice(-2000), exited: false };
  child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (text += chunk) }),
  ).catch(() => {});
  child.status.then(() => (out.exited = true));
  return out;
}

async function assigned(p: Pipeline): Promise<number> {
  const text = await p.registry.metrics();
  const m = /pipeline_kafka_assigned_partitions\{group="crypto-process"\} (\d+)/.exec(text);
  return m === null ? 0 : Number(m[1]);
}

Deno.test({
  name: `kill -9 of a process instance at ${KILLS} seeded points while ticks flow: the results ` +
    "equal an uninterrupted run's, no duplicate rows",
  ignore: skipKafkaTests(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "kill_kafka_" });
    const file = `${dir}/ticks.ndjson`;
    await Deno.writeTextFile(file, fixture.lines.join("\n") + "\n");
    await Deno.writeTextFile(`${dir}/empty.ndjson`, "");
    await using mock = await startKafkaMock({
      brokers: 1,
      topics: Object.values(DEFAULT_TOPICS).map((name) => ({ name, partitions: PARTITIONS })),
    });
    const admin = new Kafka({ brokers: [...mock.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const shared = `${dir}/shared.db`;
    const kafkaArgs = [...COMMON, `--kafka-brokers=${mock.bootstrap}`, `--sqlite=${shared}`];
    const running: Pipeline[] = [];
    let victim: Deno.ChildProcess | null = null;
    try {
      const reference = await start([
        COMMON[0],
        "--source=replay",
        `--replay-file=${file}`,
        `--sqlite=${dir}/ref.db`,
        `--partitions=${PARTITIONS}`,
      ]);
      await reference.drained;
      await reference.stop();
      // The schema exists before several processes open the file.
      await (await start([
        "--source=replay",
        `--replay-file=${dir}/empty.ndjson`,
        `--sqlite=${shared}`,
      ])).stop();

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
        victim = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            MAIN,
            "--role=process",
            ...kafkaArgs,
            "--http=off",
            "--log-level=error",
          ],
          stdout: "null",
          stderr: "piped",
        }).spawn();
        const errors = collect(victim);
        await pollUntil(
          `instance ${k} to share the partitions`,
          async () => await assigned(survivor) === PARTITIONS / 2,
          { timeoutMs: 60_000, describe: () => errors.text() },
        );
        // A seeded moment while the instance owns its partitions and ticks flow.
        await new Promise((r) => setTimeout(r, 200 + Math.floor(rng.next() * 1500)));
        assert.equal(errors.exited, false, `instance ${k} died on its own: ${errors.text()}`);
        victim.kill("SIGKILL");
        await victim.status;
        victim = null;
        await pollUntil(
          `the survivor to take over after kill ${k}`,
          async () => await assigned(survivor) === PARTITIONS,
          60_000,
        );
      }
      await ingest.drained;
      const ends = new Map(
        (await admin.fetchTopicOffsets(DEFAULT_TOPICS.ticks)).map((
          p,
        ) => [p.partition, Number(p.high)]),
      );
      for (const group of ["crypto-process", "crypto-archive"]) {
        await pollUntil(`${group} to commit everything`, async () => {
          const [t] = await admin.fetchOffsets({ groupId: group, topics: [DEFAULT_TOPICS.ticks] });
          const c = new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]));
          return [...ends].every(([p, high]) => high === 0 || c.get(p) === high);
        }, 60_000);
      }
      for (const p of running.splice(0)) await p.stop();

      const key = `symbol, "interval", window_start`;
      const q = (db: string, t: string, order: string) =>
        table(db, `SELECT * FROM ${t} ORDER BY ${order}`);
      for (
        const [t, order] of [["candles", key], ["indicators", key], ["alerts", "id"], [
          "ticks",
          "source, symbol, id",
        ]]
      ) {
        assert.deepEqual(q(shared, t, order), q(`${dir}/ref.db`, t, order), t);
      }
    } finally {
      try {
        victim?.kill("SIGKILL");
      } catch {
        // Exited already.
      }
      await victim?.status;
      for (const p of running) await p.stop();
      await admin.disconnect();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
