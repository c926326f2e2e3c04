/**
 * Where the `@platformatic/kafka` consumer reads each owned partition from (kafkajs keeps this
 * inside its consumer): the start position `onAssigned` returned, else the committed offset, else
 * the beginning or the end of the log as `fromBeginning` says; and where a position the broker
 * refused as out of range moves to.
 * @module
 */
import type { Consumer } from "@platformatic/kafka";
import { keyOf } from "./group_member.ts";
import type { StartPosition, TopicPartition } from "./kafka_consumer.ts";

/**
 * An owned partition. `next` is unset until `onAssigned` settled and the start is known; `reset`
 * marks a partition with no committed offset, read from 0 until the first fetch tells the log's
 * bounds (the librdkafka mock answers ListOffsets for several partitions in a form the library
 * misreads, so the first fetch answers instead).
 */
export interface Owned extends TopicPartition {
  next?: bigint;
  reset?: "earliest" | "latest";
}

/**
 * Positions each of `added` still in `owned`: its start position, else its committed offset,
 * else a reset. Calls `committed` with the start positions that carry the committed offset.
 */
export async function positionPartitions(
  consumer: Consumer,
  added: readonly TopicPartition[],
  starts: readonly StartPosition[],
  o: {
    owned(key: string): Owned | undefined;
    fromBeginning: boolean;
    committed(key: string, offset: number): void;
  },
): Promise<void> {
  const chosen = new Map(starts.map((s) => [keyOf(s.topic, s.partition), s]));
  const rest = added.filter((tp) => !chosen.has(keyOf(tp.topic, tp.partition)));
  const committed = rest.length ? await committedOffsets(consumer, rest) : new Map();
  for (const tp of added) {
    const key = keyOf(tp.topic, tp.partition);
    const owned = o.owned(key);
    if (!owned) continue;
    const start = chosen.get(key);
    owned.next = start ? BigInt(start.offset) : committed.get(key);
    if (start?.committed !== undefined) o.committed(key, Number(start.committed));
    if (owned.next === undefined) {
      owned.next = 0n;
      owned.reset = o.fromBeginning ? "earliest" : "latest";
    }
  }
}

/** Committed offsets of `tps`; absent for a partition that has none. */
async function committedOffsets(
  consumer: Consumer,
  tps: readonly TopicPartition[],
): Promise<Map<string, bigint>> {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of tps) {
    byTopic.set(topic, [...byTopic.get(topic) ?? [], partition]);
  }
  const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  const committed = await consumer.listCommittedOffsets({ topics });
  const out = new Map<string, bigint>();
  for (const { topic, partition } of tps) {
    const offset = committed.get(topic)?.[partition];
    if (offset !== undefined && offset >= 0n) out.set(keyOf(topic, partition), offset);
  }
  return out;
}

/**
 * Where a position outside the log `[logStart, highWatermark)` moves: to its start or its end,
 * as the partition's pending reset (else `fromBeginning`) says.
 */
export function outOfRangeReset(
  owned: Owned,
  logStart: bigint,
  highWatermark: bigint,
  fromBeginning: boolean,
): "earliest" | "latest" {
  const earliest = owned.reset ? owned.reset === "earliest" : fromBeginning;
  owned.next = earliest ? logStart : highWatermark;
  owned.reset = undefined;
  return earliest ? "earliest" : "latest";
}
