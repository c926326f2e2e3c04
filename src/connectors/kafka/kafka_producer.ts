/**
 * A batching Kafka producer with a bounded number of batches in flight. `send()` is synchronous
 * while there is room and returns a promise only when the bound is reached, so backpressure reaches
 * the caller without a promise per record.
 * @module
 */
import type { CompressionTypes, Message } from "kafkajs";
import { type Clock, systemClock } from "../../clock.ts";
import { type Logger, silentLogger } from "../../logger.ts";
import { counter, histogram, LATENCY_BUCKETS, type Registry } from "../../telemetry/metrics.ts";
import { KafkaProduceError, KafkaProducerClosedError } from "./errors.ts";
import { isPlatformatic, type KafkaClient } from "./kafka_client.ts";
import { kafkajsSender } from "./kafkajs_sender.ts";
import type { BatchSender } from "./batch_sender.ts";
import { platformaticSender } from "./platformatic_sender.ts";

/** Options of {@linkcode createKafkaProducer}. */
export interface KafkaProducerOptions {
  kafka: KafkaClient;
  /** Records per `sendBatch` request, all topics together. Default 1000. */
  batchSize?: number;
  /** How long a record may wait for its batch to fill. Default 5 ms. */
  lingerMs?: number;
  /**
   * Batches awaiting acknowledgement at once. Default 1, which keeps every key's records in send
   * order. Above 1, kafkajs runs the `sendBatch` calls independently (metadata look-ups, retries)
   * and a later batch can land first: only for data whose order does not matter.
   */
  maxInFlight?: number;
  /** -1 (all in-sync replicas, default), 1 (leader) or 0. */
  acks?: -1 | 0 | 1;
  compression?: CompressionTypes;
  /** Attempts per batch on top of kafkajs' own retries, with backoff. Default 3. */
  attempts?: number;
  /**
   * Called with a batch that failed every attempt. Without it the producer fails: the next
   * `send()`/`flush()` throws the {@linkcode KafkaProduceError} for the supervisor.
   */
  onDeliveryFailure?: (error: KafkaProduceError, records: ReadonlyMap<string, Message[]>) => void;
  registry?: Registry;
  logger?: Logger;
  clock?: Clock;
}

/** A running producer. */
export interface KafkaProducer {
  /** Connects. Idempotent. */
  start(): Promise<void>;
  /**
   * Queues `record` for `topic`. Returns `undefined` when there is room, or a promise that resolves
   * once there is room again: await it before the next send. Throws once the producer failed or
   * stopped.
   */
  send(topic: string, record: Message): void | Promise<void>;
  /** Sends everything queued and resolves when the broker acknowledged it. */
  flush(): Promise<void>;
  /** Flushes, then disconnects. Idempotent. */
  stop(): Promise<void>;
  /** Records queued, not yet in a request. */
  readonly buffered: number;
  /** Batches awaiting acknowledgement. */
  readonly inFlight: number;
}

/**
 * Creates a producer.
 *
 * @example
 * ```ts ignore
 * const producer = createKafkaProducer({ kafka, registry });
 * await producer.start();
 * for (const tick of ticks) await producer.send("crypto.ticks", encodeTick(tick));
 * await producer.stop();
 * ```
 */
export function createKafkaProducer(options: KafkaProducerOptions): KafkaProducer {
  return new BatchingProducer(options);
}

class BatchingProducer implements KafkaProducer {
  #sender: BatchSender;
  #batchSize: number;
  #lingerMs: number;
  #maxInFlight: number;
  #acks: -1 | 0 | 1;
  #compression?: CompressionTypes;
  #attempts: number;
  #onFailure?: KafkaProducerOptions["onDeliveryFailure"];
  #log: Logger;
  #clock: Clock;
  #metrics: ReturnType<typeof producerMetrics> | undefined;

  #queue = new Map<string, Message[]>();
  #buffered = 0;
  #inFlight = 0;
  #linger: unknown = undefined;
  #lingerExpired = false;
  #flushing = 0;
  #space: PromiseWithResolvers<void> | undefined;
  #idle: PromiseWithResolvers<void> | undefined;
  #failure: KafkaProduceError | undefined;
  #state: "new" | "starting" | "running" | "stopping" | "stopped" = "new";
  #started: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  #abort = new AbortController();

  constructor(o: KafkaProducerOptions) {
    this.#batchSize = positive("batchSize", o.batchSize ?? 1000);
    this.#lingerMs = o.lingerMs ?? 5;
    this.#maxInFlight = positive("maxInFlight", o.maxInFlight ?? 1);
    this.#attempts = positive("attempts", o.attempts ?? 3);
    this.#acks = o.acks ?? -1;
    this.#compression = o.compression;
    this.#onFailure = o.onDeliveryFailure;
    this.#log = (o.logger ?? silentLogger).child("kafka_producer");
    this.#clock = o.clock ?? systemClock;
    this.#metrics = o.registry && producerMetrics(o.registry);
    this.#sender = isPlatformatic(o.kafka) ? platformaticSender(o.kafka) : kafkajsSender(o.kafka);
  }

  get buffered(): number {
    return this.#buffered;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  start(): Promise<void> {
    this.#started ??= (async () => {
      this.#state = "starting";
      await this.#sender.connect();
      this.#state = "running";
    })();
    return this.#started;
  }

  send(topic: string, record: Message): void | Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.#state !== "running") {
      throw new KafkaProducerClosedError(`Cannot send to ${topic}: the producer is ${this.#state}`);
    }
    let list = this.#queue.get(topic);
    if (!list) this.#queue.set(topic, list = []);
    list.push(record);
    if (++this.#buffered === 1) this.#armLinger();
    if (this.#buffered < this.#batchSize) return;
    this.#pump();
    if (this.#buffered < this.#batchSize) return;
    if (!this.#space) {
      this.#space = Promise.withResolvers<void>();
      // The caller may drop the promise; a later failure still surfaces on the next send().
      this.#space.promise.catch(() => {});
    }
    return this.#space.promise;
  }

  async flush(): Promise<void> {
    if (this.#failure) throw this.#failure;
    this.#flushing++;
    try {
      while ((this.#buffered > 0 || this.#inFlight > 0) && !this.#failure) {
        this.#pump();
        if (this.#buffered === 0 && this.#inFlight === 0) break;
        this.#idle ??= Promise.withResolvers<void>();
        await this.#idle.promise;
      }
    } finally {
      this.#flushing--;
    }
    if (this.#failure) throw this.#failure;
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      if (this.#state === "new") {
        this.#state = "stopped";
        return;
      }
      await this.#started?.catch(() => {});
      this.#state = "stopping";
      try {
        await this.flush();
      } finally {
        this.#abort.abort(new KafkaProducerClosedError("The producer stopped"));
        this.#clearLinger();
        await this.#sender.disconnect();
        this.#state = "stopped";
      }
    })();
    return this.#stopped;
  }

  #armLinger(): void {
    this.#lingerExpired = false;
    this.#linger = this.#clock.setTimeout(() => {
      this.#linger = undefined;
      this.#lingerExpired = true;
      this.#pump();
    }, this.#lingerMs);
  }

  #clearLinger(): void {
    if (this.#linger !== undefined) this.#clock.clearTimeout(this.#linger);
    this.#linger = undefined;
  }

  /** Starts batches while there is a slot and something worth sending. */
  #pump(): void {
    while (
      this.#inFlight < this.#maxInFlight && this.#buffered > 0 && !this.#failure &&
      (this.#buffered >= this.#batchSize || this.#lingerExpired || this.#flushing > 0)
    ) {
      this.#dispatch(this.#take());
    }
    if (this.#buffered < this.#batchSize && this.#space) {
      this.#space.resolve();
      this.#space = undefined;
    }
    if (this.#buffered === 0 && this.#inFlight === 0 && this.#idle) {
      this.#idle.resolve();
      this.#idle = undefined;
    }
  }

  /** Takes up to one batch from the queue, oldest topics first. */
  #take(): Map<string, Message[]> {
    const batch = new Map<string, Message[]>();
    let room = this.#batchSize;
    for (const [topic, list] of this.#queue) {
      if (room === 0) break;
      const part = list.length <= room ? list : list.splice(0, room);
      if (part === list) this.#queue.delete(topic);
      batch.set(topic, part);
      room -= part.length;
    }
    this.#buffered -= this.#batchSize - room;
    if (this.#buffered === 0) this.#clearLinger();
    else if (this.#linger === undefined && !this.#lingerExpired) this.#armLinger();
    return batch;
  }

  async #dispatch(batch: Map<string, Message[]>): Promise<void> {
    this.#inFlight++;
    try {
      await this.#deliver(batch);
    } catch (error) {
      this.#fail(batch, error);
    } finally {
      this.#inFlight--;
      this.#pump();
    }
  }

  async #deliver(batch: Map<string, Message[]>): Promise<void> {
    let topicMessages = [...batch].map(([topic, messages]) => ({ topic, messages }));
    let resends = 0;
    for (let attempt = 1;; attempt++) {
      const t0 = this.#clock.monotonic();
      let missing: Awaited<ReturnType<BatchSender["send"]>>;
      try {
        missing = await this.#sender.send(topicMessages, this.#acks, this.#compression);
      } catch (error) {
        this.#metrics?.errors.inc({ client: "producer", kind: "send" });
        if (attempt >= this.#attempts || this.#abort.signal.aborted) throw error;
        const delay = Math.min(5000, 250 * 2 ** (attempt - 1));
        this.#log.warn("send failed, retrying", { attempt, delayMs: delay, error });
        await this.#clock.sleep(delay, this.#abort.signal);
        continue;
      }
      const seconds = (this.#clock.monotonic() - t0) / 1000;
      for (const { topic, messages } of topicMessages) {
        const skipped = missing.find((m) => m.topic === topic)?.messages.length ?? 0;
        this.#metrics?.produced.inc({ topic }, messages.length - skipped);
        this.#metrics?.seconds.observe({ topic }, seconds);
      }
      if (missing.length === 0) return;
      if (++resends > MAX_RESENDS) {
        throw new Error(`partitions unacknowledged after ${MAX_RESENDS} resends`);
      }
      this.#metrics?.errors.inc({ client: "producer", kind: "unacknowledged" });
      this.#log.warn("a send resolved without acknowledging every partition; sending those again", {
        partitions: missing.map((m) => `${m.topic}/${m.partitions.join(",")}`),
      });
      topicMessages = missing.map(({ topic, messages }) => ({ topic, messages }));
    }
  }

  #fail(batch: Map<string, Message[]>, cause: unknown): void {
    let records = 0;
    for (const list of batch.values()) records += list.length;
    const error = new KafkaProduceError([...batch.keys()], records, { cause });
    this.#metrics?.errors.inc({ client: "producer", kind: "failed" });
    this.#log.error("batch not delivered", { topics: error.topics, records, error });
    if (this.#onFailure) {
      this.#onFailure(error, batch);
      return;
    }
    this.#failure ??= error;
    this.#space?.reject(error);
    this.#space = undefined;
    this.#idle?.resolve();
    this.#idle = undefined;
  }
}

/** Re-sends of skipped partitions per batch before the batch counts as failed. */
const MAX_RESENDS = 5;

function producerMetrics(registry: Registry) {
  return {
    produced: counter(registry, {
      name: "pipeline_kafka_messages_produced_total",
      help: "Records acknowledged by the broker",
      labelNames: ["topic"],
    }),
    seconds: histogram(registry, {
      name: "pipeline_kafka_produce_seconds",
      help: "Latency of one send() batch",
      labelNames: ["topic"],
      buckets: LATENCY_BUCKETS,
    }),
    errors: counter(registry, {
      name: "pipeline_kafka_errors_total",
      help: "Kafka producer/consumer/admin errors",
      labelNames: ["client", "kind"],
    }),
  };
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create Kafka producer: ${name} must be a positive integer, received ${value}`,
    );
  }
  return value;
}
