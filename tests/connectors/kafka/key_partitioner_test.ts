import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Partitioners } from "kafkajs";
import { KeyCachingPartitioner } from "../../../src/connectors/kafka/key_partitioner.ts";

const metadata = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0 })) as never;

Deno.test("KeyCachingPartitioner maps string keys as kafkajs' default partitioner, repeated or not", () => {
  const ours = KeyCachingPartitioner();
  const theirs = Partitioners.DefaultPartitioner();
  const keys = ["BTC-USD", "ETH-USD", "SOL-USDT", "x", "", "ÄÖÜ-€", "A".repeat(37)];
  for (let i = 0; i < 500; i++) keys.push(`C${i}-USD`);
  for (const partitions of [1, 3, 6, 32, 64]) {
    // Twice over: the second pass reads remembered hashes, with a different partition count.
    for (let pass = 0; pass < 2; pass++) {
      for (const key of keys) {
        const args = {
          topic: "t",
          partitionMetadata: metadata(partitions),
          message: { key, value: "v" },
        };
        assert.equal(ours(args), theirs(args), `${key} over ${partitions}`);
      }
    }
  }
});

Deno.test("KeyCachingPartitioner leaves explicit partitions, Buffer keys and keyless records to kafkajs", () => {
  const ours = KeyCachingPartitioner();
  const theirs = Partitioners.DefaultPartitioner();
  const partitionMetadata = metadata(8);
  const explicit = {
    topic: "t",
    partitionMetadata,
    message: { key: "BTC-USD", value: "v", partition: 5 },
  };
  assert.equal(ours(explicit), 5);
  const buffer = {
    topic: "t",
    partitionMetadata,
    message: { key: Buffer.from("BTC-USD"), value: "v" },
  };
  assert.equal(ours(buffer), theirs(buffer));
  // Keyless: round robin from a random start, so only the spread can be compared.
  const seen = new Set<number>();
  for (let i = 0; i < 8; i++) {
    seen.add(ours({ topic: "t", partitionMetadata, message: { value: "v" } }));
  }
  assert.equal(seen.size, 8, "keyless records go round robin over every partition");
});
