/**
 * The raw-client baselines of the Kafka role benches, one per client library: consume N records
 * counting only (kafkajs `eachBatch`; `@platformatic/kafka` `consume()` stream `data` events),
 * and send an NDJSON file's ticks in batches of 1000 after parsing each line.
 * @module
 */
import { Consumer, Producer, serializersFrom } from "@platformatic/kafka";
import { Buffer } from "node:buffer";
import { type Kafka, type Message, Partitioners } from "kafkajs";
import { encodeTick } from "../src/connectors/kafka/tick_codec.ts";
import { readLines } from "../src/feeds/line_reader.ts";

/** Records per second of a raw kafkajs `eachBatch` that only counts, first record to `n`-th. */
export async function kafkajsCount(
  kafka: Kafka,
  topic: string,
  groupId: string,
  n: number,
): Promise<number> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, maxWaitTimeInMs: 100 });
  const done = Promise.withResolvers<void>();
  let seen = 0;
  let t0 = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: ({ batch }) => {
      if (seen === 0) t0 = performance.now();
      seen += batch.messages.length;
      if (seen >= n) done.resolve();
      return Promise.resolve();
    },
  });
  await done.promise;
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  return n / seconds;
}

/**
 * The same with `@platformatic/kafka`: its `fetch()` of every partition from offset 0, counting
 * the records of each response (no group: nothing to coordinate for a count). Not its `consume()`
 * stream: that asks ListOffsets first, in every mode, and the librdkafka 2.0.2 mock's answer for
 * 64 partitions fails to parse (docs/kafka.md).
 */
export async function platformaticCount(
  brokers: readonly string[],
  topic: string,
  n: number,
  partitions: number,
): Promise<number> {
  const consumer = new Consumer({
    clientId: "bench-raw",
    bootstrapBrokers: [...brokers],
    groupId: "bench-raw-unused",
  });
  try {
    const meta = (await consumer.metadata({ topics: [topic] })).topics.get(topic)!;
    const node = meta.partitions[0].leader; // one broker in the bench
    const next = Array.from({ length: partitions }, () => 0n);
    let seen = 0;
    let t0 = 0;
    while (seen < n) {
      const response = await consumer.fetch({
        node,
        topics: [{
          topicId: meta.id,
          partitions: next.map((fetchOffset, partition) => ({
            partition,
            fetchOffset,
            partitionMaxBytes: 1_048_576,
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
          })),
        }],
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 64 * 1_048_576,
      });
      for (const t of response.responses) {
        for (const p of t.partitions) {
          for (const batch of p.records ?? []) {
            if (seen === 0) t0 = performance.now();
            seen += batch.records.length;
            next[p.partitionIndex] = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
          }
        }
      }
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await consumer.close(true);
  }
}

/** A sender of one batch of encoded ticks. */
type SendBatch = (messages: Message[]) => Promise<unknown>;

/** Ticks/s reading `file`, parsing and encoding each line, sending batches of 1000. */
async function parseAndSend(file: string, n: number, send: SendBatch): Promise<number> {
  const t0 = performance.now();
  let batch: Message[] = [];
  for await (const chunk of readLines(file)) {
    if (chunk.kind !== "lines") continue; // a line too long or not UTF-8
    for (const line of chunk.lines) {
      if (!line) continue;
      batch.push(encodeTick(JSON.parse(line)));
      if (batch.length === 1000) {
        await send(batch);
        batch = [];
      }
    }
  }
  if (batch.length) await send(batch);
  return n / ((performance.now() - t0) / 1000);
}

/** Parse + raw kafkajs `send()` (acks -1, its default partitioner), ticks/s. */
export async function kafkajsSend(kafka: Kafka, file: string, n: number): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    return await parseAndSend(
      file,
      n,
      (messages) => producer.send({ topic: "bench.raw", messages }),
    );
  } finally {
    await producer.disconnect();
  }
}

type Bytes = string | Buffer;
const toBuffer = (d?: Bytes | null) =>
  d === undefined || d === null ? undefined : typeof d === "string" ? Buffer.from(d) : d;

/** Parse + raw `@platformatic/kafka` `send()` (acks -1, its default partitioner), ticks/s. */
export async function platformaticSend(
  brokers: readonly string[],
  file: string,
  n: number,
): Promise<number> {
  const producer = new Producer<Bytes, Bytes, Bytes, Bytes>({
    clientId: "bench-raw",
    bootstrapBrokers: [...brokers],
    serializers: serializersFrom<Bytes>(toBuffer),
    autocreateTopics: true,
  });
  try {
    return await parseAndSend(file, n, (messages) =>
      producer.send({
        acks: -1,
        messages: messages.map((m) => ({
          topic: "bench.raw",
          key: m.key ?? undefined,
          value: m.value ?? undefined,
          headers: m.headers as Record<string, Bytes>,
        })),
      }));
  } finally {
    await producer.close();
  }
}
