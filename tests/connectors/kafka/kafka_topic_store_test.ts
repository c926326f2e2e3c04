import assert from "node:assert/strict";
import type { KafkaProducer } from "../../../src/connectors/kafka/kafka_producer.ts";
import { kafkaTopicStore } from "../../../src/connectors/kafka/kafka_topic_store.ts";
import type { Alert } from "../../../src/market/alert.ts";
import type { Candle } from "../../../src/market/candle.ts";

const TOPICS = {
  ticks: "crypto.ticks",
  ticksDlq: "crypto.ticks.dlq",
  candles: "crypto.candles",
  alerts: "crypto.alerts",
};

const candle = (venue: string, extra: Partial<Candle> = {}): Candle => ({
  venue,
  symbol: "BTC-USD",
  interval: "1m",
  window_start: 0,
  open: 1,
  high: 1,
  low: 1,
  close: 1,
  volume: 1,
  vwap: 1,
  trades: 1,
  first_ts: 0,
  last_ts: 0,
  version: 1,
  ...extra,
});

Deno.test("kafkaTopicStore: candles keyed <venue>:<symbol>, the composite's members in the value; alerts <venue>:<symbol> too", async () => {
  const sent: { topic: string; key: unknown; value: unknown }[] = [];
  const producer = {
    send: (topic: string, m: { key: unknown; value: unknown }) => void sent.push({ topic, ...m }),
    flush: () => Promise.resolve(),
  } as unknown as KafkaProducer;
  const store = kafkaTopicStore(producer, TOPICS);
  const composite = candle("composite", {
    constituents: ["kraken"],
    excluded: [{ venue: "coinbase", reason: "stale" }],
  });
  await store.writeCandles!([candle("kraken"), composite]);
  await store.writeAlerts!([
    { venue: "composite", symbol: "BTC-USD", id: "a" } as Alert,
    { venue: "kraken", symbol: "BTC-USD", id: "kraken/a" } as Alert,
  ]);
  assert.deepEqual(sent.map((s) => [s.topic, s.key]), [
    ["crypto.candles", "kraken:BTC-USD"],
    ["crypto.candles", "composite:BTC-USD"],
    ["crypto.alerts", "composite:BTC-USD"],
    ["crypto.alerts", "kraken:BTC-USD"],
  ]);
  assert.deepEqual(JSON.parse(String(sent[1].value)), composite);
});
