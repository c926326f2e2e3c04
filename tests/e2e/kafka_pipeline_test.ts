import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { loadConfig } from "../../src/config/load_config.ts";
import { DEFAULT_TOPICS } from "../../src/connectors/kafka/kafka_config.ts";
import { silentLogger } from "../../src/logger.ts";
import { type Pipeline, startPipeline } from "../../src/pipeline/pipeline.ts";
import { type KafkaMock, skipKafkaTests, startKafkaMock } from "../helpers/kafka_mock.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";

const PARTITIONS = 3;
const fixture = generateReplay({
  seed: 77,
  ticks: 6000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"],
  start: Date.UTC(2026, 5, 1),
  gapMs: 200,
});

async function withMock(fn: (mock: KafkaMock) => Promise<void>) {
  const mock = await startKafkaMock({
    brokers: 1,
    topics: Object.values(DEFAULT_TOPICS).map((name) => ({ name, partitions: PARTITIONS })),
  });
  try {
    await fn(mock);
  } finally {
    await mock.stop();
  }
}

function start(args: string[]): Promise<Pipeline> {
  const r = loadConfig({ args: [...args, "--http=off"], env: () => undefined });
  if (r.kind !== "ok") throw new Error(JSON.stringify(r));
  return startPipeline(r.config, { logger: silentLogger });
}

function dump(db: string) {
  const conn = new DatabaseSync(db, { readOnly: true });
  try {
    const q = (sql: string) => conn.prepare(sql).all().map((r) => ({ ...r }));
    return {
      candles: q(`SELECT * FROM candles ORDER BY symbol, "interval", window_start`),
      indicators: q(`SELECT * FROM indicators ORDER BY symbol, "interval", window_start`),
      alerts: q(`SELECT * FROM alerts ORDER BY id`),
      ticks: q(`SELECT * FROM ticks ORDER BY source, symbol, id`),
      dead_letters: q(
        `SELECT reason, count(*) AS n FROM dead_letters GROUP BY reason ORDER BY reason`,
      ),
    };
  } finally {
    conn.close();
  }
}

Deno.test({
  name: "Kafka mode: ingest → process → SQLite equals the embedded pipeline on the same replay",
  ignore: skipKafkaTests(),
  // kafkajs keeps internal timers for a moment after disconnect.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const file = `${dir}/t.ndjson`;
    await Deno.writeTextFile(file, fixture.lines.join("\n") + "\n");
    try {
      const embedded = await start([
        "--source=replay",
        `--replay-file=${file}`,
        `--sqlite=${dir}/embedded.db`,
        `--partitions=${PARTITIONS}`,
      ]);
      await embedded.drained;
      await embedded.stop();

      await withMock(async (mock) => {
        const kafka = await start([
          "--source=replay",
          `--replay-file=${file}`,
          `--sqlite=${dir}/kafka.db`,
          `--kafka-brokers=${mock.bootstrap}`,
          "--kafka-session-timeout=6s",
        ]);
        await kafka.drained;
        await kafka.stop();
        assert.ok((await kafka.terminated).ok);
      });
      const a = dump(`${dir}/embedded.db`);
      const b = dump(`${dir}/kafka.db`);
      assert.ok(a.candles.length > 50);
      assert.deepEqual(b.candles, a.candles, "candles");
      assert.deepEqual(b.indicators, a.indicators, "indicators");
      assert.deepEqual(b.alerts, a.alerts, "alerts");
      assert.deepEqual(b.ticks, a.ticks, "raw ticks");
      assert.deepEqual(b.dead_letters, a.dead_letters, "dead letters by reason");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
