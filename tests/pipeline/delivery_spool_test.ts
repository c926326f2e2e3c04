import assert from "node:assert/strict";
import type { Store } from "../../src/connectors/store.ts";
import { silentLogger } from "../../src/logger.ts";
import { DeliverySpool } from "../../src/pipeline/delivery_spool.ts";

/** A store that records what it is sent, or refuses everything. */
function store(name: string, refuse = false) {
  const got: Record<string, unknown[]> = {};
  const write = (kind: string) => (rows: readonly unknown[]) => {
    if (refuse) return Promise.reject(new Error(`${name} is down`));
    (got[kind] ??= []).push(...rows);
    return Promise.resolve();
  };
  const s: Store = {
    name,
    migrate: () => Promise.resolve(),
    writeTicks: write("ticks"),
    writeCandles: write("candles"),
    writeDeadLetters: write("dead_letters"),
    close: () => Promise.resolve(),
  };
  return { s, got };
}

Deno.test("DeliverySpool: kept rows go to their store at the next start; what is not taken stays", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/db-spool.ndjson`;
    const spool = new DeliverySpool(path, silentLogger);
    assert.ok(spool.keep("clickhouse", "candles", [{ symbol: "BTC-USD", version: 2 }]));
    assert.ok(spool.keep("redis", "ticks", [{ symbol: "ETH-USD", price: 1 }]));
    assert.ok(spool.keep("gone", "ticks", [{ symbol: "SOL-USD" }]));
    // A torn last line (the process died while appending) is skipped, not fatal.
    await Deno.writeTextFile(path, '{"store":"clickhouse","kind":"cand', { append: true });

    const ch = store("clickhouse");
    const redis = store("redis", true);
    assert.deepEqual(await spool.redeliver([ch.s, redis.s]), { sent: 1, left: 2 });
    assert.deepEqual(ch.got, { candles: [{ symbol: "BTC-USD", version: 2 }] });
    const left = (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(left.map((l) => l.store).sort(), ["gone", "redis"]);

    const back = store("redis");
    assert.deepEqual(await spool.redeliver([back.s]), { sent: 1, left: 1 });
    assert.deepEqual(back.got, { ticks: [{ symbol: "ETH-USD", price: 1 }] });
    assert.deepEqual(await new DeliverySpool(`${dir}/none`, silentLogger).redeliver([]), {
      sent: 0,
      left: 0,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DeliverySpool: bounded — rows beyond the limit are refused (they stay dead letters)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const spool = new DeliverySpool(`${dir}/s.ndjson`, silentLogger, 200);
    assert.ok(spool.keep("x", "ticks", [{ id: "1" }]));
    assert.equal(spool.keep("x", "ticks", [{ id: "2".repeat(300) }]), false);
    assert.ok((await Deno.stat(`${dir}/s.ndjson`)).size <= 200);
    // An unwritable place: refused, not thrown.
    assert.equal(
      new DeliverySpool(`${dir}/no/such/dir/s`, silentLogger).keep("x", "ticks", [1]),
      false,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
