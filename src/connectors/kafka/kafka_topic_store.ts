/**
 * Publishes closed candles and alerts to their Kafka topics (`crypto.candles` and
 * `crypto.alerts`, both keyed `<venue>:<symbol>`, e.g. `coinbase:BTC-USD` or
 * `composite:BTC-USD`) as a store, so the sink actor's batching, retries and acknowledgement apply: a
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
      const key = seriesKey(row);
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

/**
 * The key of both topics: the row's venue and symbol, so each venue's series keeps its order.
 * Alerts stored before they had a venue were keyed by symbol alone.
 */
export function seriesKey(row: Pick<Candle | Alert, "venue" | "symbol">): string {
  return `${row.venue}:${row.symbol}`;
}
