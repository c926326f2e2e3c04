import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Kafka, logLevel } from "kafkajs";
import { loadConfig } from "../../src/config/load_config.ts";
import { DEFAULT_TOPICS } from "../../src/connectors/kafka/kafka_config.ts";
import { encodeTick } from "../../src/connectors/kafka/tick_codec.ts";
import { silentLogger } from "../../src/logger.ts";
import { type Pipeline, startPipeline } from "../../src/pipeline/pipeline.ts";
import { skipKafkaTests, startKafkaMock } from "../helpers/kafka_mock.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";

const PARTITIONS = 4;
const fixture = generateReplay({
  seed: 31,
  ticks: 8000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD"],
  start: Date.UTC(2026, 8, 1),
  gapMs: 120,
});
const topics = Object.values(DEFAULT_TOPICS).map((name) => ({ name, partitions: PARTITIONS }));

function start(args: string[]): Promise<Pipeline> {
  const r = loadConfig({
    args: [...args, "--http=off", "--kafka-session-timeout=6s"],
    env: () => undefined,
  });
  if (r.kind !== "ok") throw new Error(JSON.stringify(r));
  return startPipeline(r.config, { logger: silentLogger });
}

function table(db: string, sql: string) {
  const conn = new DatabaseSync(db, { readOnly: true });
  try {
    return conn.prepare(sql).all().map((r) => ({ ...r }));
  } finally {
    conn.close();
  }
}
const CANDLES = `SELECT * FROM candles ORDER BY symbol, "interval", window_start`;

async function embedded(dir: string, lines: string[]): Promise<string> {
  const file = `${dir}/embedded.ndjson`;
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  const p = await start([
    "--source=replay",
    `--replay-file=${file}`,
    `--sqlite=${dir}/embedded.db`,
    `--partitions=${PARTITIONS}`,
  ]);
  await p.drained;
  await p.stop();
  return `${dir}/embedded.db`;
}

Deno.test({
  name:
    "Kafka mode: poison messages on the ticks topic go to the DLQ with their reason; the rest is unaffected",
  ignore: skipKafkaTests(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const mock = await startKafkaMock({ brokers: 1, topics });
    const kafka = new Kafka({ brokers: [...mock.brokers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    try {
      const valid = fixture.valid;
      const poison: { value: string; reason: string }[] = [];
      const messages = [];
      for (let i = 0; i < valid.length; i++) {
        messages.push(encodeTick(valid[i]));
        if (i % 100 === 50) {
          const bad = i % 200 === 50
            ? { value: `{"symbol":"${valid[i].symbol}","price":`, reason: "malformed_json" }
            : {
              value: JSON.stringify({ ...valid[i], id: `x${i}`, price: 0 }),
              reason: "bad_price",
            };
          poison.push(bad);
          messages.push({
            key: valid[i].symbol,
            value: bad.value,
            headers: { "schema-version": "1" },
          });
        }
      }
      await producer.connect();
      for (let i = 0; i < messages.length; i += 1000) {
        await producer.send({ topic: DEFAULT_TOPICS.ticks, messages: messages.slice(i, i + 1000) });
      }
      for (let p = 0; p < PARTITIONS; p++) {
        await producer.send({
          topic: DEFAULT_TOPICS.ticks,
          messages: [{
            partition: p,
            key: null,
            value: null,
            headers: { control: "end-of-input" },
          }],
        });
      }
      const processor = await start([
        "--role=process",
        `--kafka-brokers=${mock.bootstrap}`,
        `--sqlite=${dir}/kafka.db`,
      ]);
      await processor.drained;
      await processor.stop();

      // Every poison message is in the DLQ with its reason and original bytes.
      const consumer = kafka.consumer({ groupId: "dlq-check", sessionTimeout: 6000 });
      const seen: { value: string; reason: string }[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: DEFAULT_TOPICS.ticksDlq, fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message }) => {
          seen.push({
            value: message.value!.toString(),
            reason: message.headers!.reason!.toString(),
          });
          return Promise.resolve();
        },
      });
      const deadline = Date.now() + 30_000;
      while (seen.length < poison.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await consumer.disconnect();
      const key = (x: { value: string; reason: string }) => `${x.reason}|${x.value}`;
      assert.deepEqual(seen.map(key).sort(), poison.map(key).sort());

      const reference = await embedded(
        dir,
        valid.map((t) => JSON.stringify(t)),
      );
      assert.deepEqual(
        table(`${dir}/kafka.db`, CANDLES),
        table(reference, CANDLES),
        "candles unaffected",
      );
    } finally {
      await producer.disconnect();
      await mock.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "Kafka mode: a broker down for a few seconds and a coordinator move lose nothing",
  ignore: skipKafkaTests(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const mock = await startKafkaMock({ brokers: 3, topics });
    try {
      const file = `${dir}/t.ndjson`;
      await Deno.writeTextFile(file, fixture.lines.join("\n") + "\n");
      const pipeline = await start([
        "--source=replay",
        `--replay-file=${file}`,
        "--replay-speed=300",
        `--kafka-brokers=${mock.bootstrap}`,
        `--sqlite=${dir}/kafka.db`,
      ]);
      let done = false;
      pipeline.drained.then(() => (done = true));
      await mock.brokerDown(2);
      await new Promise((r) => setTimeout(r, 3000)); // the outage itself, not a wait for a condition
      await mock.setCoordinator("crypto-process", 3);
      await mock.brokerUp(2);
      await pipeline.drained;
      assert.ok(done);
      await pipeline.stop();
      assert.ok((await pipeline.terminated).ok, "no escalation");
      const reference = await embedded(dir, fixture.lines);
      assert.deepEqual(table(`${dir}/kafka.db`, CANDLES), table(reference, CANDLES), "candles");
      const ticks = "SELECT * FROM ticks ORDER BY source, symbol, id";
      assert.deepEqual(table(`${dir}/kafka.db`, ticks), table(reference, ticks), "raw ticks");
    } finally {
      await mock.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "Kafka mode: a commit the broker refuses is tried again, even after the partition went quiet",
  ignore: skipKafkaTests(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const mock = await startKafkaMock({ brokers: 1, topics });
    const kafka = new Kafka({ brokers: [...mock.brokers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const admin = kafka.admin();
    let pipeline: Pipeline | null = null;
    try {
      // Everything is in the topic before the role starts: after the first fetches no record
      // comes again, so only a retry can move the commits on.
      await producer.connect();
      // Several batches per partition: the commit point moves past finished batches only.
      const messages = fixture.valid.map(encodeTick);
      for (let i = 0; i < messages.length; i += 400) {
        await producer.send({ topic: DEFAULT_TOPICS.ticks, messages: messages.slice(i, i + 400) });
      }
      // The role's first two OffsetCommit requests (API key 8) fail: INVALID_COMMIT_OFFSET_SIZE.
      await mock.pushRequestErrors(8, [28, 28]);
      pipeline = await start([
        "--role=process",
        `--kafka-brokers=${mock.bootstrap}`,
        "--sqlite=",
        "--commit-interval=200ms",
        // Windows short against the data's 16 minutes, so early batches finish and commit.
        "--intervals=1m",
      ]);
      await admin.connect();
      const withData = new Set<number>();
      for (const p of await admin.fetchTopicOffsets(DEFAULT_TOPICS.ticks)) {
        if (Number(p.high) > 0) withData.add(p.partition);
      }
      const deadline = Date.now() + 30_000;
      for (;;) {
        const [t] = await admin.fetchOffsets({
          groupId: "crypto-process",
          topics: [DEFAULT_TOPICS.ticks],
        });
        const committed = new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]));
        if ([...withData].every((p) => (committed.get(p) ?? -1) > 0)) break;
        if (Date.now() > deadline) {
          assert.fail(`partitions with data not committed: ${JSON.stringify([...committed])}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await pipeline?.stop();
      await producer.disconnect();
      await admin.disconnect();
      await mock.stop();
    }
  },
});
