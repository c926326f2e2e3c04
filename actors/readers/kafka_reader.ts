/**
 * The Kafka reader: runs one consumer-group member under supervision. The consumer delivers
 * batches straight to the partition stages (its handlers); this actor owns its lifecycle, so a
 * kafkajs crash becomes an actor failure: restarted with backoff, escalated on a crash loop (the
 * process then exits non-zero instead of looking healthy without consuming).
 * @module
 */
import type { KafkaConsumer } from "../../src/connectors/kafka/kafka_consumer.ts";
import type { Actor, ActorContext, Props } from "../../src/runtime/mod.ts";

/** Messages from the consumer to its actor. */
export type ReaderMessage = { readonly kind: "crashed"; readonly error: unknown };

/** Props of a reader; `create` builds a fresh consumer, handing it the crash callback. */
export function kafkaReaderProps(
  name: string,
  create: (onCrash: (error: unknown) => void) => KafkaConsumer,
): Props<ReaderMessage> {
  return {
    name,
    factory: () => new KafkaReader(create),
    mailbox: { capacity: 4 },
    supervision: {
      decide: () => "restart",
      maxRestarts: 5,
      withinMs: 5 * 60_000,
      backoff: { minMs: 1000, maxMs: 30_000 },
    },
  };
}

class KafkaReader implements Actor<ReaderMessage> {
  readonly #create: (onCrash: (error: unknown) => void) => KafkaConsumer;
  #consumer: KafkaConsumer | null = null;

  constructor(create: (onCrash: (error: unknown) => void) => KafkaConsumer) {
    this.#create = create;
  }

  async started(ctx: ActorContext<ReaderMessage>): Promise<void> {
    this.#consumer = this.#create((error) => ctx.tellSelf({ kind: "crashed", error }));
    await this.#consumer.start();
  }

  receive(message: ReaderMessage): void {
    throw message.error;
  }

  async stopping(): Promise<void> {
    await this.#consumer?.stop();
    this.#consumer = null;
  }
}
