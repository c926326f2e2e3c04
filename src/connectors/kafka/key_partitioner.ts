/**
 * kafkajs' default partitioner with each string key's hash remembered. kafkajs hashes a key's
 * bytes and filters the partition list for every message; keys here are symbols, a few hundred
 * repeated millions of times, so the hash is computed once per key. Same mapping (Kafka's murmur2,
 * made positive, modulo the partition count); explicit partitions, keys that are not strings and
 * records without a key (round robin) go to kafkajs' own partitioner.
 * @module
 */
import { type ICustomPartitioner, Partitioners } from "kafkajs";
import { KeyHashes } from "./murmur2.ts";

/**
 * A `createPartitioner` for kafkajs producers. `onAssign`, when given, hears every message's
 * partition as kafkajs assigns it (the producer checks its acknowledgements against them).
 */
export function createKeyCachingPartitioner(
  onAssign?: (message: object, partition: number) => void,
): ICustomPartitioner {
  return () => {
    const fallback = Partitioners.DefaultPartitioner();
    const hashes = new KeyHashes();
    return (args) => {
      const { message, partitionMetadata } = args;
      const key = message.key;
      let partition: number;
      if (
        typeof key !== "string" || (message.partition !== undefined && message.partition !== null)
      ) {
        partition = fallback(args);
      } else {
        partition = hashes.partitionOf(key, partitionMetadata.length);
      }
      onAssign?.(message, partition);
      return partition;
    };
  };
}

/** The partitioner without an observer. */
export const KeyCachingPartitioner: ICustomPartitioner = createKeyCachingPartitioner();
