/**
 * Publishes closed candles and alerts to their Kafka topics (`crypto.candles`, `crypto.alerts`,
 * key = symbol) as a store, so the sink actor's batching, retries and acknowledgement apply: a
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
      const pending = producer.send(topic, { key: row.symbol, value: JSON.stringify(row) });
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
