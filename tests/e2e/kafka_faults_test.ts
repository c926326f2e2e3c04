import assert from "node:assert/strict";
import { DEFAULT_TOPICS } from "../../src/connectors/kafka/kafka_config.ts";
import { encodeTick } from "../../src/connectors/kafka/tick_codec.ts";
import type { Pipeline } from "../../src/pipeline/pipeline.ts";
import {
  committedOffsets,
  consumeRecords,
  observerClient,
  runEmbeddedReference,
  startPipelineCluster,
} from "../helpers/kafka_cluster.ts";
import { skipKafkaTests } from "../helpers/kafka_mock.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";
import { RESULT_QUERIES, sqliteRows } from "../helpers/sqlite_dump.ts";
import { startTestPipeline, writeReplayFile } from "../helpers/test_pipeline.ts";

const PARTITIONS = 4;
const fixture = generateReplay({
  seed: 31,
  ticks: 8000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD"],
  start: Date.UTC(2026, 8, 1),
  gapMs: 120,
});

const start = (args: string[]): Promise<Pipeline> =>
  startTestPipeline([...args, "--http=off", "--kafka-session-timeout=6s"]);

const { candles: CANDLES, ticks: TICKS } = RESULT_QUERIES;

/** The embedded pipeline on `lines`: the reference a Kafka run must equal. */
async function embedded(dir: string, lines: string[]): Promise<string> {
  const file = await writeReplayFile(`${dir}/embedded.ndjson`, lines);
  await runEmbeddedReference({ file, db: `${dir}/embedded.db`, partitions: PARTITIONS });
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
    const mock = await startPipelineCluster({ partitions: PARTITIONS });
    const kafka = observerClient(mock);
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
      const seen = (await consumeRecords(kafka, {
        topic: DEFAULT_TOPICS.ticksDlq,
        count: poison.length,
        consumer: { groupId: "dlq-check", sessionTimeout: 6000 },
      })).map((m) => ({ value: m.value!.toString(), reason: m.headers!.reason!.toString() }));
      const key = (x: { value: string; reason: string }) => `${x.reason}|${x.value}`;
      assert.deepEqual(seen.map(key).sort(), poison.map(key).sort());

      const reference = await embedded(
        dir,
        valid.map((t) => JSON.stringify(t)),
      );
      assert.deepEqual(
        sqliteRows(`${dir}/kafka.db`, CANDLES),
        sqliteRows(reference, CANDLES),
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
    const mock = await startPipelineCluster({ brokers: 3, partitions: PARTITIONS });
    try {
      const file = await writeReplayFile(`${dir}/t.ndjson`, fixture.lines);
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
      const kafkaDb = `${dir}/kafka.db`;
      assert.deepEqual(sqliteRows(kafkaDb, CANDLES), sqliteRows(reference, CANDLES), "candles");
      assert.deepEqual(sqliteRows(kafkaDb, TICKS), sqliteRows(reference, TICKS), "raw ticks");
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
    const mock = await startPipelineCluster({ partitions: PARTITIONS });
    const kafka = observerClient(mock);
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
      let committed = new Map<number, number>();
      await pollUntil("every partition with data to commit progress", async () => {
        committed = await committedOffsets(admin, "crypto-process");
        return [...withData].every((p) => (committed.get(p) ?? -1) > 0);
      }, { timeoutMs: 30_000, intervalMs: 100, describe: () => [...committed] });
    } finally {
      await pipeline?.stop();
      await producer.disconnect();
      await admin.disconnect();
      await mock.stop();
    }
  },
});
