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

/** The same with a `@platformatic/kafka` consumer stream counting `data` events. */
export async function platformaticCount(
  brokers: readonly string[],
  topic: string,
  groupId: string,
  n: number,
): Promise<number> {
  const consumer = new Consumer({
    clientId: "bench-raw",
    bootstrapBrokers: [...brokers],
    groupId,
    sessionTimeout: 6000,
    heartbeatInterval: 2000,
    maxWaitTime: 100,
  });
  const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
  const done = Promise.withResolvers<void>();
  let seen = 0;
  let t0 = 0;
  stream.on("data", () => {
    if (seen++ === 0) t0 = performance.now();
    if (seen === n) done.resolve();
  });
  stream.on("error", (e) => done.reject(e));
  await done.promise;
  const seconds = (performance.now() - t0) / 1000;
  await stream.close();
  await consumer.close(true);
  return n / seconds;
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
