/**
 * The few Kafka admin look-ups the roles need.
 * @module
 */
import { openAdmin } from "../../connectors/kafka/kafka_admin_client.ts";
import type { KafkaClient } from "../../connectors/kafka/kafka_client.ts";

/** What a group committed for one partition (see commit_tracker.ts). */
export interface CommittedPosition {
  /** The committed offset: the processed position. */
  readonly offset: number;
  /** Where a new owner starts reading (≤ offset); the offset itself when the metadata has none. */
  readonly restore: number;
  /** Max event time before `restore`, when known. */
  readonly maxTsBefore?: number;
  /** Max event time before `offset`, when known. */
  readonly maxTs?: number;
}

/**
 * The metadata this pipeline commits with an offset. Version 1 (before the processed position was
 * committed) had only `maxTs`, the max event time before the committed offset, which was then the
 * restore point; version 2 adds the restore point, the max event time before it and before the
 * processed position.
 */
export function commitMetadata(point: {
  restore: number;
  maxTsBefore: number;
  maxTs: number;
}): string {
  const finite = (n: number) => Number.isFinite(n) ? n : null;
  return JSON.stringify({
    v: 2,
    restore: point.restore,
    maxTsBefore: finite(point.maxTsBefore),
    maxTs: finite(point.maxTs),
  });
}

/** Reads {@linkcode commitMetadata} back; anything else (another tool's commit) restores nothing. */
export function parseCommitMetadata(offset: number, metadata: string | null): CommittedPosition {
  const plain = { offset, restore: offset };
  if (!metadata) return plain;
  let meta: { v?: unknown; restore?: unknown; maxTsBefore?: unknown; maxTs?: unknown };
  try {
    meta = JSON.parse(metadata);
  } catch {
    return plain;
  }
  if (meta === null || typeof meta !== "object") return plain;
  const num = (x: unknown) => typeof x === "number" && Number.isFinite(x) ? x : undefined;
  if (meta.v === 1) {
    const maxTs = num(meta.maxTs);
    return maxTs === undefined ? plain : { offset, restore: offset, maxTsBefore: maxTs, maxTs };
  }
  const restore = num(meta.restore);
  if (meta.v !== 2 || restore === undefined || !Number.isSafeInteger(restore)) return plain;
  // A restore point after the committed offset cannot be ours (an offset reset by a tool): the
  // offset wins, without a restored watermark.
  if (restore < 0 || restore > offset) return plain;
  return { offset, restore, maxTsBefore: num(meta.maxTsBefore), maxTs: num(meta.maxTs) };
}

/** What `groupId` committed on `topic`: partition → position (partitions never committed omitted). */
export async function committedPositions(
  kafka: KafkaClient,
  groupId: string,
  topic: string,
): Promise<Map<number, CommittedPosition>> {
  const admin = await openAdmin(kafka);
  try {
    const out = new Map<number, CommittedPosition>();
    for (const p of await admin.committed(groupId, topic)) {
      const offset = Number(p.offset);
      if (!Number.isSafeInteger(offset) || offset < 0) continue; // -1: nothing committed
      out.set(p.partition, parseCommitMetadata(offset, p.metadata));
    }
    return out;
  } finally {
    await admin.close();
  }
}

export async function topicPartitions(kafka: KafkaClient, topic: string): Promise<number[]> {
  const admin = await openAdmin(kafka);
  try {
    const partitions = (await admin.partitions([topic])).get(topic);
    if (!partitions) throw new Error(`Cannot read the partitions of ${topic}: no such topic`);
    return [...partitions].sort((a, b) => a - b);
  } finally {
    await admin.close();
  }
}
