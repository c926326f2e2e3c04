/**
 * One round of fetches for the `@platformatic/kafka` consumer: the wanted partitions grouped by
 * leader, one `Consumer.fetch()` per leader at once, and each partition's records handed to
 * `deliver` (all partitions of a response at once; the round ends when every delivery settled).
 * @module
 */
import type { ConnectionPool, Consumer, fetchV17 } from "@platformatic/kafka";
import { type FetchedPartition, partitionRecords } from "./platformatic_records.ts";
import { type FetchedBatches, fetchedBatches } from "./fetched_batches.ts";
import type { RawFetchPartition } from "./fetch_response.ts";
import type { Clock } from "../../clock.ts";

/** A fetch the library failed after its own retries; `cause` is its error. */
export class FetchFailed extends Error {
  constructor(cause: unknown) {
    super(`Fetch failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "FetchFailed";
  }
}

/** A partition to fetch, from `offset`. */
export interface PartitionFetch {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** Options of {@linkcode fetchRound}. */
export interface FetchRoundOptions {
  maxWaitTime: number;
  maxBytesPerPartition: number;
  /**
   * Fetch through this pool of raw_fetch_pool.ts: records are delivered as their batches' bytes
   * ({@linkcode FetchedBatches}) instead of messages.
   */
  rawPool?: ConnectionPool;
  /** A partition's records at or after the fetch offset (maybe none), and its high watermark. */
  deliver(
    f: PartitionFetch,
    fetched: FetchedPartition | FetchedBatches,
    highWatermark: bigint,
  ): Promise<void>;
  /**
   * Bounds a request to the library: rejects when it has not settled in time (it retries inside,
   * and with every broker unreachable that took minutes).
   */
  within<T>(request: Promise<T>): Promise<T>;
  /** The broker refused the fetch offset: the log now spans `[logStart, highWatermark)`. */
  outOfRange(f: PartitionFetch, logStart: bigint, highWatermark: bigint): void;
}

const OFFSET_OUT_OF_RANGE = 1;

/** Fetches `wanted` once and delivers; rejects with the first fetch or delivery failure. */
export async function fetchRound(
  consumer: Consumer,
  wanted: readonly PartitionFetch[],
  o: FetchRoundOptions,
): Promise<void> {
  const topics = [...new Set(wanted.map((w) => w.topic))];
  const metadata = await o.within(consumer.metadata({ topics })).catch((e) => {
    throw new FetchFailed(e);
  });
  const byNode = new Map<number, PartitionFetch[]>();
  const names = new Map<string, string>();
  for (const w of wanted) {
    const topic = metadata.topics.get(w.topic);
    if (!topic) throw new Error(`Cannot fetch ${w.topic}: no metadata for it`);
    names.set(topic.id, w.topic);
    const leader = topic.partitions[w.partition]?.leader;
    if (leader === undefined || leader < 0) {
      throw new Error(`Cannot fetch ${w.topic}/${w.partition}: no leader`);
    }
    byNode.set(leader, [...byNode.get(leader) ?? [], w]);
  }
  const ids = new Map([...names].map(([id, name]) => [name, id]));
  await Promise.all([...byNode].map(async ([node, list]) => {
    const requests = new Map<string, { topicId: string; partitions: unknown[] }>();
    for (const w of list) {
      const topicId = ids.get(w.topic)!;
      let r = requests.get(topicId);
      if (!r) requests.set(topicId, r = { topicId, partitions: [] });
      r.partitions.push({
        partition: w.partition,
        fetchOffset: w.offset,
        partitionMaxBytes: o.maxBytesPerPartition,
        currentLeaderEpoch: -1,
        lastFetchedEpoch: -1,
      });
    }
    const byKey = new Map(list.map((w) => [`${w.topic}|${w.partition}`, w]));
    let response;
    try {
      response = await o.within(consumer.fetch({
        node,
        topics: [...requests.values()] as Parameters<Consumer["fetch"]>[0]["topics"],
        maxWaitTime: o.maxWaitTime,
        connectionPool: o.rawPool,
        minBytes: 1,
        maxBytes: o.maxBytesPerPartition * Math.max(1, list.length),
      }));
    } catch (error) {
      // Positions outside the log are reset; other partitions are fetched again next round.
      if (!resetOutOfRange(error, names, byKey, o)) throw new FetchFailed(error);
      return;
    }
    // Every partition's records are read before any is delivered: a corrupt batch fails the round
    // as a failed fetch (the consumer crashes, as when the library's own decoder fails), with no
    // delivery left running behind it.
    const found: [PartitionFetch, FetchedPartition | FetchedBatches, bigint][] = [];
    try {
      for (const t of response.responses) {
        const topic = names.get(t.topicId) ?? t.topicId;
        for (const p of t.partitions) {
          const w = byKey.get(`${topic}|${p.partitionIndex}`);
          if (!w) continue; // a partition lingering in the fetch session, not asked for
          const fetched = o.rawPool
            ? fetchedBatches(
              (p as RawFetchPartition).recordBytes,
              w.offset,
              p.abortedTransactions ?? [],
            )
            : partitionRecords(p, w.offset);
          found.push([w, fetched, p.highWatermark]);
        }
      }
    } catch (error) {
      throw new FetchFailed(error);
    }
    const deliveries = found.map(([w, fetched, hw]) => o.deliver(w, fetched, hw));
    await Promise.all(deliveries);
  }));
}

/** Reports the out-of-range partitions of a refused fetch; false when it failed otherwise. */
function resetOutOfRange(
  error: unknown,
  names: Map<string, string>,
  byKey: Map<string, PartitionFetch>,
  o: FetchRoundOptions,
): boolean {
  const response = (error as { response?: fetchV17.FetchResponse }).response;
  if (!response?.responses) return false;
  let reset = 0;
  for (const t of response.responses) {
    const topic = names.get(t.topicId) ?? t.topicId;
    for (const p of t.partitions) {
      if (p.errorCode === 0) continue;
      const w = byKey.get(`${topic}|${p.partitionIndex}`);
      if (p.errorCode !== OFFSET_OUT_OF_RANGE || !w) return false;
      o.outOfRange(w, p.logStartOffset, p.highWatermark);
      reset++;
    }
  }
  return reset > 0;
}

/**
 * `request`, or a rejection once `ms` passed without an answer or once `stopped` aborted (the
 * library retries inside a request, for minutes with every broker unreachable).
 */
export async function answeredWithin<T>(
  request: Promise<T>,
  ms: number,
  clock: Clock,
  stopped: AbortSignal,
): Promise<T> {
  const done = new AbortController();
  const signal = AbortSignal.any([done.signal, stopped]);
  const late = clock.sleep(ms, signal).then(
    () => Promise.reject(new Error(`No answer from the brokers within ${ms} ms`)),
    () => Promise.reject(new Error("The consumer stopped")),
  );
  late.catch(() => {});
  try {
    return await Promise.race([request, late]);
  } finally {
    done.abort();
  }
}
