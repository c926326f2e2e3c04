/**
 * Publishes closed candles and alerts to their Kafka topics (`crypto.candles` keyed
 * `<venue>:<symbol>`, e.g. `coinbase:BTC-USD` or `composite:BTC-USD`; `crypto.alerts` keyed by
 * symbol) as a store, so the sink actor's batching, retries and acknowledgement apply: a
 * write resolves once the broker acknowledged the batch.
 * @module
 */
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import type { Store } from "../store.ts";
import type { KafkaProducer } from "./kafka_producer.ts";
import type { KafkaTopicNames } from "./kafka_config.ts";

/** A {@linkcode Store} over the candles and alerts topics. */
export function kafkaTopicStore(producer: KafkaProducer, topics: KafkaTopicNames): Store {
  const publish = async (topic: string, rows: readonly (Candle | Alert)[]) => {
    for (const row of rows) {
      const key = "venue" in row ? candleKey(row) : row.symbol;
      const pending = producer.send(topic, { key, value: JSON.stringify(row) });
      if (pending) await pending;
    }
    await producer.flush();
  };
  return {
    name: "kafka",
    migrate: () => Promise.resolve(),
    writeCandles: (rows) => publish(topics.candles, rows),
    writeAlerts: (rows) => publish(topics.alerts, rows),
    close: () => Promise.resolve(),
  };
}

/** The candles topic's key: the candle's venue and symbol, so each series keeps its order. */
export function candleKey(c: Candle): string {
  return `${c.venue}:${c.symbol}`;
}
