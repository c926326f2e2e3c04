/**
 * The Kafka connector: configuration, client, topic provisioning, tick codec, a batching producer
 * with bounded in-flight batches, and a consumer-group member with per-partition callbacks and
 * manual offsets. It knows nothing of actors; the reader and producer actors wrap it.
 *
 * @example
 * ```ts ignore
 * import * as kafka from "./mod.ts";
 * const config = kafka.parseKafkaConfig({ brokers: "127.0.0.1:9092" });
 * const client = kafka.createKafkaClient(config, { logger });
 * await kafka.ensureTopics(client, kafka.pipelineTopics(config), { logger, registry });
 * ```
 * @module
 */
export * from "./errors.ts";
export * from "./kafka_config.ts";
export * from "./kafka_client.ts";
export * from "./topics.ts";
export * from "./tick_codec.ts";
export * from "./kafka_producer.ts";
export * from "./kafka_consumer.ts";
