/**
 * What the batching producer (kafka_producer.ts) needs from a client library: connect, send one
 * batch of records for several topics and say which records no acknowledgement covered,
 * disconnect. One implementation per library: kafkajs_sender.ts, platformatic_sender.ts.
 * @module
 */
import type { CompressionTypes, Message } from "kafkajs";

/** Records of one topic, in send order. */
export interface TopicMessages {
  readonly topic: string;
  readonly messages: Message[];
}

/** Records of one topic that were sent but not acknowledged, and their partitions. */
export interface Unacknowledged extends TopicMessages {
  readonly partitions: number[];
}

/** One client library's producer. */
export interface BatchSender {
  connect(): Promise<void>;
  /**
   * Sends `batch` and resolves once the broker acknowledged it (per `acks`), with the records
   * whose partition no acknowledgement covered (empty when all were), which are sent again.
   * Rejects when the send failed.
   */
  send(
    batch: readonly TopicMessages[],
    acks: -1 | 0 | 1,
    compression: CompressionTypes | undefined,
  ): Promise<Unacknowledged[]>;
  disconnect(): Promise<void>;
}
