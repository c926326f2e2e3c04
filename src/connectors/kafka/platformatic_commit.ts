/**
 * Offset commits with metadata for `@platformatic/kafka` consumers. The library's own
 * `Consumer.commit()` (2.12.1) always sends `committedMetadata: null`, and this pipeline commits
 * its restore point in the metadata (commit_tracker.ts). So the same OffsetCommit request is sent
 * here through the library's exported protocol API to the consumer's group coordinator, with the
 * generation and member id the consumer holds: what `commit()` does, plus the metadata. It goes
 * over a connection of its own (`via`, a second client of the same settings): on the consumer's
 * connection it can wait behind a JoinGroup the coordinator holds (the librdkafka mock stops
 * reading a member's connection while its join is pending, and a commit sent there never came
 * back in the Kafka suite).
 * @module
 */
import type { Admin, Consumer, offsetCommitV8 } from "@platformatic/kafka";
import { platformatic } from "./platformatic_module.ts";

/** One partition's offset (the next to read) and optional metadata. */
export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly metadata: string | undefined;
}

const OFFSET_COMMIT = 8; // Kafka ApiKey

/**
 * Commits `offsets` for `consumer`'s current group generation.
 * @throws the library's `ResponseError` (per-partition error codes: a generation error means the
 *   group is rebalancing) or a network error.
 */
export async function commitWithMetadata(
  // deno-lint-ignore no-explicit-any
  consumer: Consumer<any, any, any, any>,
  via: Admin,
  offsets: readonly OffsetToCommit[],
): Promise<void> {
  const api = await offsetCommitApi(via);
  const coordinator = await consumer.findGroupCoordinator();
  const connection = (await via.connectToBrokers([coordinator])).get(coordinator);
  if (!connection) throw new Error(`Cannot commit: no connection to coordinator ${coordinator}`);
  const topics = new Map<string, offsetCommitV8.OffsetCommitRequestTopic>();
  for (const o of offsets) {
    let t = topics.get(o.topic);
    if (!t) topics.set(o.topic, t = { name: o.topic, partitions: [] });
    t.partitions.push({
      partitionIndex: o.partition,
      committedOffset: BigInt(o.offset),
      committedLeaderEpoch: -1,
      committedMetadata: o.metadata ?? null,
    });
  }
  await api.async(
    connection,
    consumer.groupId,
    consumer.generationId,
    consumer.memberId ?? "",
    consumer.groupInstanceId,
    [...topics.values()],
  );
}

/** Versions 2 to 9 take the same arguments and carry the metadata (the librdkafka mock: ≤ 7). */
function versions(): (typeof offsetCommitV8.api)[] {
  const p = platformatic();
  return [
    p.offsetCommitV2.api,
    p.offsetCommitV3.api,
    p.offsetCommitV4.api,
    p.offsetCommitV5.api,
    p.offsetCommitV6.api,
    p.offsetCommitV7.api,
    p.offsetCommitV8.api,
    p.offsetCommitV9.api,
  ] as unknown as (typeof offsetCommitV8.api)[];
}

const chosen = new WeakMap<object, (typeof offsetCommitV8.api)>();

/** The newest OffsetCommit version both sides speak (asked once per consumer). */
async function offsetCommitApi(client: Admin) {
  const known = chosen.get(client);
  if (known) return known;
  const apis = await client.listApis();
  const range = apis.find((a) => a.apiKey === OFFSET_COMMIT);
  const api = versions().findLast((v) =>
    range !== undefined && v.version >= range.minVersion && v.version <= range.maxVersion
  );
  if (!api) {
    throw new Error("Cannot commit: the brokers support no OffsetCommit version from 2 to 9");
  }
  chosen.set(client, api);
  return api;
}
