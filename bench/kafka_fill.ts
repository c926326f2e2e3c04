/**
 * The input of the Kafka benches: `n` synthetic ticks of 100 symbols written to a topic in large
 * per-partition batches (the librdkafka mock returns one record batch per partition per fetch, so
 * small produce batches would make the consumer figures measure the mock), then an end-of-input
 * marker on every partition, so a `process` role drains when it passed all of its partitions.
 * @module
 */
import { type Kafka, type Message, Partitioners } from "kafkajs";
import { encodeTick } from "../src/connectors/kafka/tick_codec.ts";
import type { Tick } from "../src/market/tick.ts";

const SYMBOLS = Array.from({ length: 100 }, (_, i) => `C${i}-USD`);

/** The `i`-th bench tick: 100 symbols in turn, 5 ms apart in event time. */
export const tickAt = (i: number): Tick => ({
  source: "bench",
  symbol: SYMBOLS[i % SYMBOLS.length],
  price: 20_000 + (i % 1000) / 8,
  size: (i % 17) / 16 + 0.01,
  ts: 1_700_000_000_000 + i * 5,
  id: String(i),
});

/** Writes `n` ticks then an end-of-input marker per partition to `topic` of `partitions`. */
export async function fillTicks(
  kafka: Kafka,
  topic: string,
  o: { n: number; partitions: number },
): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const perPartition = 500;
  const { n, partitions } = o;
  for (let base = 0; base < n; base += partitions * perPartition) {
    const messages: Message[] = [];
    for (let i = base; i < Math.min(n, base + partitions * perPartition); i++) {
      messages.push(encodeTick(tickAt(i)));
    }
    await producer.send({ topic, messages, acks: 1 });
  }
  const ends = Array.from({ length: partitions }, (_, p) => ({
    partition: p,
    key: null,
    value: null,
    headers: { control: "end-of-input" },
  }));
  await producer.send({ topic, messages: ends, acks: 1 });
  await producer.disconnect();
}
