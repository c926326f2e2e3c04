import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RedisStore } from "../../src/connectors/redis/redis_store.ts";
import { RedisConfigError } from "../../src/connectors/redis/redis_config.ts";
import type { Alert } from "../../src/market/alert.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { Tick } from "../../src/market/tick.ts";
import { createRegistry } from "../../src/telemetry/metrics.ts";
import { createTestPrefix, redisAvailable, TEST_REDIS_URL } from "../helpers/redis_prefix.ts";
import { pollUntil } from "../helpers/services.ts";
import { TcpProxy } from "../helpers/tcp_proxy.ts";
import { HOSTILE_STRINGS } from "./hostile_values.ts";
import { isStoreError } from "./store_error_assert.ts";

const available = await redisAvailable();
const T0 = Date.UTC(2026, 0, 1);

function tick(symbol: string, ts: number, price: number): Tick {
  return { source: "sim", symbol, id: String(ts), price, size: null, ts };
}

function candle(symbol: string, k: number, version: number): Candle {
  return {
    venue: "coinbase",
    symbol,
    interval: "1m",
    window_start: T0 + k * 60_000,
    open: 1 / 3,
    high: 2,
    low: 0.1,
    close: 1.5,
    volume: 0,
    vwap: null,
    trades: 3,
    first_ts: T0 + k * 60_000,
    last_ts: T0 + k * 60_000 + 1,
    version,
  };
}

function alert(id: string, symbol = "BTC-USD"): Alert {
  return {
    id,
    venue: "composite",
    symbol,
    interval: "1m",
    rule: "volume_spike",
    severity: "warning",
    value: 5.5,
    threshold: 3,
    window_start: T0,
    message: `volume spike on ${symbol}`,
  };
}

async function withStore(
  fn: (store: RedisStore) => Promise<void>,
  options: { url?: string; registry?: ReturnType<typeof createRegistry>; listLength?: number } = {},
) {
  const { prefix, cleanup } = createTestPrefix();
  const store = new RedisStore({
    url: options.url ?? TEST_REDIS_URL,
    keyPrefix: prefix,
    commandTimeoutMs: 1000,
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.listLength ? { alertListLength: options.listLength } : {}),
  });
  try {
    await store.migrate();
    await fn(store);
  } finally {
    await store.close();
    await cleanup();
  }
}

Deno.test("resolveRedisConfig() reports every problem at once", () => {
  assert.throws(
    () => new RedisStore({ url: "http://x", priceTtlSeconds: 0, nope: true } as never),
    (err: unknown) => err instanceof RedisConfigError && err.problems.length === 3,
  );
});

Deno.test({
  name: "RedisStore.writeTicks() keeps the newest price per symbol, with a TTL",
  ignore: !available,
  fn: () =>
    withStore(async (store) => {
      await store.writeTicks([
        tick("BTC-USD", T0 + 5, 105),
        tick("BTC-USD", T0 + 9, 109),
        tick("BTC-USD", T0 + 7, 107),
        tick("ETH-USD", T0 + 1, 0.1 + 0.2),
      ]);
      await store.writeTicks([tick("BTC-USD", T0 + 8, 108)]); // late: must not win
      assert.deepEqual(await store.readLatestPrice("BTC-USD"), tick("BTC-USD", T0 + 9, 109));
      assert.deepEqual(await store.readLatestPrice("ETH-USD"), tick("ETH-USD", T0 + 1, 0.1 + 0.2));
      assert.equal(await store.readLatestPrice("DOGE-USD"), null);
      const ttl = await store.redis.ttl(store.keys.price("BTC-USD"));
      assert.ok(ttl > 0 && ttl <= 3600, `ttl ${ttl}`);
    }),
});

Deno.test({
  name: "RedisStore.writeCandles() keeps the latest window and its highest version",
  ignore: !available,
  fn: () =>
    withStore(async (store) => {
      await store.writeCandles([candle("BTC-USD", 1, 1), candle("BTC-USD", 2, 1)]);
      await store.writeCandles([candle("BTC-USD", 2, 3), candle("BTC-USD", 2, 2)]);
      await store.writeCandles([candle("BTC-USD", 1, 9)]); // an older window: ignored
      assert.deepEqual(
        await store.readLatestCandle("coinbase", "BTC-USD", "1m"),
        candle("BTC-USD", 2, 3),
      );
      const ttl = await store.redis.ttl(store.keys.candle("coinbase", "BTC-USD", "1m"));
      assert.ok(ttl > 3600 && ttl <= 86_400, `ttl ${ttl}`);
    }),
});

Deno.test({
  name: "RedisStore.writeAlerts() publishes and lists each alert once, capped",
  ignore: !available,
  fn: () =>
    withStore(async (store) => {
      const sub = new Redis(TEST_REDIS_URL);
      const received: Alert[] = [];
      try {
        await sub.subscribe(store.keys.alertChannel);
        sub.on("message", (_channel, message) => received.push(JSON.parse(message)));
        const batch = ["a1", "a2", "a3"].map((id) => alert(id));
        await store.writeAlerts(batch);
        await store.writeAlerts(batch); // a replay: nothing new
        await store.writeAlerts([alert("a4")]);
        await pollUntil("4 alerts on the channel", () => received.length >= 4);
        assert.deepEqual(received.map((a) => a.id), ["a1", "a2", "a3", "a4"]);
        const listed = await store.redis.lrange(store.keys.alertList, 0, -1);
        assert.deepEqual(listed.map((j) => JSON.parse(j).id), ["a4", "a3", "a2", "a1"]);
        assert.deepEqual(JSON.parse(listed[3]), batch[0]);
      } finally {
        sub.disconnect();
      }
    }),
});

Deno.test({
  name: "RedisStore caps the alert list at alertListLength",
  ignore: !available,
  fn: () =>
    withStore(async (store) => {
      await store.writeAlerts(Array.from({ length: 25 }, (_, k) => alert(`id${k}`)));
      assert.equal(await store.redis.llen(store.keys.alertList), 10);
    }, { listLength: 10 }),
});

Deno.test({
  name: "RedisStore round-trips hostile symbols, ids and messages",
  ignore: !available,
  fn: () =>
    withStore(async (store) => {
      for (const s of HOSTILE_STRINGS) {
        const t = { ...tick(s, T0, 1), source: s, id: s };
        await store.writeTicks([t]);
        assert.deepEqual(await store.readLatestPrice(s), t);
        await store.writeCandles([candle(s, 0, 1)]);
        assert.deepEqual(await store.readLatestCandle("coinbase", s, "1m"), candle(s, 0, 1));
      }
      const alerts = HOSTILE_STRINGS.map((s) => ({ ...alert(s, s), message: s }));
      await store.writeAlerts(alerts);
      const listed = await store.redis.lrange(store.keys.alertList, 0, -1);
      assert.deepEqual(listed.map((j) => JSON.parse(j)), [...alerts].reverse());
    }),
});

Deno.test({
  name: "RedisStore records pipeline_sink_* metrics per batch",
  ignore: !available,
  fn: async () => {
    const registry = createRegistry();
    await withStore(async (store) => {
      await store.writeTicks([tick("A", T0, 1), tick("B", T0, 1), tick("A", T0 + 1, 2)]);
    }, { registry });
    const text = await registry.metrics();
    assert.match(text, /pipeline_sink_rows_written_total\{sink="redis",table="price"\} 2/);
    assert.match(text, /pipeline_sink_write_seconds_count\{sink="redis"\} 1/);
  },
});

Deno.test({
  name: "RedisStore writes fail retriably while the server is cut off and succeed after",
  ignore: !available,
  fn: async () => {
    const target = new URL(TEST_REDIS_URL);
    const proxy = TcpProxy.start({ hostname: target.hostname, port: Number(target.port || 6379) });
    try {
      await withStore(async (store) => {
        await store.writeTicks([tick("BTC-USD", T0, 1)]);
        proxy.cut();
        await assert.rejects(
          store.writeTicks([tick("BTC-USD", T0 + 1, 2)]),
          (err: unknown) => isStoreError(err, { retriable: true }),
        );
        proxy.restore();
        await pollUntil("a write after restore", async () => {
          await store.writeTicks([tick("BTC-USD", T0 + 1, 2)]);
          return true;
        });
        assert.equal((await store.readLatestPrice("BTC-USD"))?.price, 2);
      }, { url: `redis://127.0.0.1:${proxy.port}` });
    } finally {
      await proxy.close();
    }
  },
});
