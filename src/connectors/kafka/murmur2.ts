/**
 * Key → partition, the way Kafka's default partitioner does it (murmur2 of the key bytes, made
 * positive, modulo the partition count). The Kafka producer uses it (key_partitioner.ts), and so
 * does the memory bus (src/bus/memory_bus.ts), so a symbol lands on the same partition number on
 * both. {@linkcode KeyHashes} is the one cache of it: keys are symbols, a few hundred repeated
 * millions of times.
 * @module
 */

const encoder = new TextEncoder();

/** Kafka's murmur2 (seed 0x9747b28c), as in the Java client and kafkajs. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = 0x9747b28c ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) +
      ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length % 4;
  const tail = length & ~3;
  if (rest === 3) h ^= (data[tail + 2] & 0xff) << 16;
  if (rest >= 2) h ^= (data[tail + 1] & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[tail] & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's positive murmur2 hash of `key`'s UTF-8 bytes (its partition is this modulo the count). */
export function partitionHash(key: string): number {
  return murmur2(encoder.encode(key)) & 0x7fffffff;
}

/** The partition of `key` among `partitions`, as Kafka's default partitioner computes it. */
export function partitionOf(key: string, partitions: number): number {
  return partitionHash(key) % partitions;
}

/** Keys remembered before the cache starts over (bounds memory on hostile keys). */
const KEYS_REMEMBERED = 65_536;

/**
 * {@linkcode partitionHash} per key, remembered (up to 65 536 keys, then it starts over).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KeyHashes, partitionOf } from "./murmur2.ts";
 * const hashes = new KeyHashes();
 * assert.equal(hashes.partitionOf("BTC-USD", 12), partitionOf("BTC-USD", 12));
 * ```
 */
export class KeyHashes {
  readonly #hashes = new Map<string, number>();

  /** Kafka's positive murmur2 hash of `key`. */
  hashOf(key: string): number {
    let hash = this.#hashes.get(key);
    if (hash === undefined) {
      if (this.#hashes.size >= KEYS_REMEMBERED) this.#hashes.clear();
      this.#hashes.set(key, hash = partitionHash(key));
    }
    return hash;
  }

  /** The partition of `key` among `partitions`. */
  partitionOf(key: string, partitions: number): number {
    return this.hashOf(key) % partitions;
  }
}
