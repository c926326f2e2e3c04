/**
 * fetchRound() over the raw pool: a corrupt batch in any partition of a response fails the round
 * as a failed fetch before any partition of it is delivered (no delivery left running behind a
 * rejected round); a sound response delivers every partition's batches.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { ConnectionPool, Consumer } from "@platformatic/kafka";
import { FetchFailed, fetchRound } from "../../../src/connectors/kafka/platformatic_fetch.ts";
import type { FetchedBatches } from "../../../src/connectors/kafka/fetched_batches.ts";
import { loadPlatformatic } from "../../../src/connectors/kafka/platformatic_module.ts";

const lib = await loadPlatformatic();
const TOPIC = "crypto.ticks";

function batchAt(base: number): Buffer {
  const w = lib.createRecordsBatch([{ topic: TOPIC, value: Buffer.from(`v${base}`) }], {
    compression: "none",
    producerId: -1n,
    producerEpoch: 0,
  });
  const bytes = Buffer.from(w.buffer);
  bytes.writeBigInt64BE(BigInt(base), 0);
  return bytes;
}

/** A consumer whose one fetch answers with `records` for partitions 0 and 1. */
function consumerAnswering(records: [Buffer, Buffer]): Consumer {
  return {
    metadata: () =>
      Promise.resolve({
        topics: new Map([[TOPIC, { id: TOPIC, partitions: [{ leader: 1 }, { leader: 1 }] }]]),
      }),
    fetch: () =>
      Promise.resolve({
        responses: [{
          topicId: TOPIC,
          partitions: records.map((bytes, partitionIndex) => ({
            partitionIndex,
            errorCode: 0,
            highWatermark: 100n,
            abortedTransactions: null,
            records: null,
            recordBytes: new Uint8Array(bytes),
          })),
        }],
      }),
  } as unknown as Consumer;
}

function round(consumer: Consumer, delivered: [number, FetchedBatches][]) {
  return fetchRound(
    consumer,
    [0, 1].map((partition) => ({ key: `${partition}`, topic: TOPIC, partition, offset: 0n })),
    {
      maxWaitTime: 10,
      maxBytesPerPartition: 1 << 20,
      rawPool: {} as ConnectionPool,
      deliver: (f, fetched) => {
        delivered.push([f.partition, fetched as FetchedBatches]);
        return Promise.resolve();
      },
      within: (request) => request,
      outOfRange: () => assert.fail("no partition is out of range"),
    },
  );
}

Deno.test("fetchRound: a corrupt batch fails the round as a fetch, with no partition delivered", async () => {
  const corrupt = batchAt(0);
  corrupt.writeInt8(1, 16); // magic 1: not the v2 record format
  const delivered: [number, FetchedBatches][] = [];
  await assert.rejects(round(consumerAnswering([batchAt(0), corrupt]), delivered), FetchFailed);
  assert.deepEqual(delivered, []);
});

Deno.test("fetchRound: a sound response delivers each partition's batches", async () => {
  const delivered: [number, FetchedBatches][] = [];
  await round(consumerAnswering([batchAt(0), Buffer.concat([batchAt(0), batchAt(1)])]), delivered);
  assert.deepEqual(delivered.map(([p, b]) => [p, b.count, b.next]), [[0, 1, 1n], [1, 2, 2n]]);
});
