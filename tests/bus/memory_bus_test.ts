import assert from "node:assert/strict";
import { Partitioners } from "kafkajs";
import { MemoryBus } from "../../src/bus/memory_bus.ts";
import { partitionOf } from "../../src/connectors/kafka/murmur2.ts";
import type { Tick } from "../../src/market/tick.ts";

Deno.test("partitionOf() maps keys as kafkajs's default partitioner does", () => {
  const partitioner = Partitioners.DefaultPartitioner();
  const symbols = ["BTC-USD", "ETH-USD", "SOL-USDT", "DOGE-USD", "x", "", "ÄÖÜ-€", "A".repeat(37)];
  for (const partitions of [1, 3, 6, 32]) {
    const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({
      partitionId: i,
      leader: 0,
    }));
    for (const key of symbols) {
      const expected = partitioner({
        topic: "t",
        partitionMetadata: partitionMetadata as never,
        message: { key, value: "v" },
      });
      assert.equal(partitionOf(key, partitions), expected, `${key} over ${partitions}`);
    }
  }
});

Deno.test("MemoryBus.publish() delivers in order to the symbol's partition and waits when full", async () => {
  const bus = new MemoryBus({ partitions: 4 });
  const got: Tick[][] = [[], [], [], []];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  for (let p = 0; p < 4; p++) {
    bus.attach(p, {
      tell: (t) => {
        got[p].push(t);
        return t.id === "full" ? gate : undefined;
      },
    });
  }
  const tick = (symbol: string, id: string): Tick => ({
    source: "s",
    symbol,
    price: 1,
    size: 1,
    ts: 1,
    id,
  });
  assert.equal(bus.publish(tick("BTC-USD", "1")), undefined, "no promise on the fast path");
  bus.publish(tick("BTC-USD", "2"));
  const pending = bus.publish(tick("ETH-USD", "full"));
  assert.ok(pending instanceof Promise, "a full consumer makes the publisher wait");
  release();
  await pending;
  const btc = bus.partitionOf("BTC-USD");
  assert.deepEqual(got[btc].filter((t) => t.symbol === "BTC-USD").map((t) => t.id), ["1", "2"]);
  assert.equal(got[bus.partitionOf("ETH-USD")].at(-1)?.id, "full");
  assert.equal(bus.published().reduce((a, b) => a + b, 0), 3);
});

Deno.test("MemoryBus rejects a bad partition count and an unattached partition", () => {
  assert.throws(() => new MemoryBus({ partitions: 0 }), /positive integer/);
  const bus = new MemoryBus({ partitions: 2 });
  assert.throws(
    () => bus.publish({ source: "s", symbol: "BTC-USD", price: 1, size: 1, ts: 1, id: "1" }),
    /no consumer attached/,
  );
});
