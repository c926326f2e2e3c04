/**
 * The `archive` role over Kafka: its own consumer group, raw ticks into the raw-tick stores,
 * committed per batch once durable.
 * @module
 */
import type { KafkaMessage } from "kafkajs";
import { offsetOf } from "../../connectors/kafka/fetched_message.ts";
import { kafkaReaderProps } from "../../../actors/readers/kafka_reader.ts";
import { createKafkaConsumer } from "../../connectors/kafka/kafka_consumer.ts";
import { decodeTick, isEndOfInput } from "../../connectors/kafka/tick_codec.ts";
import type { Tick } from "../../market/tick.ts";
import type { RoleContext } from "./kafka_roles.ts";

/** Starts the archive role; `onEnded` runs once every owned partition passed its end marker. */
export function startArchiveRole(ctx: RoleContext, onEnded: () => void): { stop(): Promise<void> } {
  const { config, system, clock, registry, routes } = ctx.stage;
  const { kafka } = ctx.connection;
  const topics = ctx.connection.config.topics;
  const log = ctx.log;
  const ended = new Set<number>();
  let consumerRef: ReturnType<typeof createKafkaConsumer> | null = null;
  const onBatch = async (topic: string, partition: number, messages: KafkaMessage[]) => {
    if (messages.length === 0) return;
    const ticks: Tick[] = [];
    let sawEnd = false;
    for (const m of messages) {
      if (isEndOfInput(m.headers)) {
        sawEnd = true;
        continue;
      }
      // Rejected records are the process role's to dead-letter; the archive keeps valid ticks.
      const r = decodeTick(m.value, m.headers, ctx.parser);
      if (r.ok) ticks.push(r.tick);
    }
    if (ticks.length) {
      const w = routes.ticks(ticks);
      if (w) await w;
      await routes.barrier("flush");
    }
    await consumerRef?.commit(topic, partition, offsetOf(messages[messages.length - 1]) + 1);
    if (sawEnd) {
      ended.add(partition);
      const assigned = consumerRef?.assignment() ?? [];
      if (assigned.length > 0 && assigned.every((tp) => ended.has(tp.partition))) {
        onEnded();
      }
    }
  };
  const ref = system.spawn(kafkaReaderProps("reader-archive", (onCrash) => {
    consumerRef = createKafkaConsumer({
      kafka,
      groupId: config.kafka.archiveGroup,
      topics: [topics.ticks],
      fromBeginning: true,
      sessionTimeout: config.kafka.sessionTimeoutMs,
      maxWaitTimeInMs: config.kafka.fetchMaxWaitMs,
      registry,
      logger: log.child("archive"),
      clock,
      handlers: { onBatch, onCrash },
    });
    return consumerRef;
  }));
  return { stop: () => system.stop(ref) };
}
