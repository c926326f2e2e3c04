/**
 * Redis key layout 2: candle hashes written by the release before venue candles become the venue
 * `legacy`'s, with their TTL; the price and alert keys are untouched.
 * @module
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RedisStore } from "../../src/connectors/redis/redis_store.ts";
import { createTestPrefix, redisAvailable, TEST_REDIS_URL } from "../helpers/redis_prefix.ts";

const available = await redisAvailable();

Deno.test({
  name: "RedisStore.migrate() moves layout-1 candle hashes to the venue legacy, once",
  ignore: !available,
  fn: async () => {
    const { prefix, cleanup } = createTestPrefix();
    const raw = new Redis(TEST_REDIS_URL);
    const store = new RedisStore({ url: TEST_REDIS_URL, keyPrefix: prefix });
    try {
      // What the release before venues wrote: candle:<symbol>:<interval>, the Candle fields.
      const old = {
        symbol: "BTC-USD",
        interval: "1m",
        window_start: "1767225600000",
        open: "100",
        high: "110",
        low: "90",
        close: "105",
        volume: "2.5",
        vwap: "",
        trades: "3",
        first_ts: "1767225600001",
        last_ts: "1767225659000",
        version: "2",
      };
      await raw.hset(`${prefix}candle:BTC-USD:1m`, old);
      await raw.expire(`${prefix}candle:BTC-USD:1m`, 5000);
      await raw.hset(`${prefix}price:BTC-USD`, { price: "105", ts: "1" });

      await store.migrate();
      assert.equal(await raw.exists(`${prefix}candle:BTC-USD:1m`), 0, "the old key is gone");
      const ttl = await raw.ttl(`${prefix}candle:legacy:BTC-USD:1m`);
      assert.ok(ttl > 4000 && ttl <= 5000, `the TTL is kept: ${ttl}`);
      assert.deepEqual(await store.readLatestCandle("legacy", "BTC-USD", "1m"), {
        venue: "legacy",
        symbol: "BTC-USD",
        interval: "1m",
        window_start: 1767225600000,
        open: 100,
        high: 110,
        low: 90,
        close: 105,
        volume: 2.5,
        vwap: null,
        trades: 3,
        first_ts: 1767225600001,
        last_ts: 1767225659000,
        version: 2,
      });
      assert.equal(await raw.get(`${prefix}layout`), "2");
      assert.equal(await raw.hget(`${prefix}price:BTC-USD`, "price"), "105", "prices untouched");

      // Layout-2 keys of a later write are not taken for old ones by a second start.
      await store.migrate();
      const again = new RedisStore({ url: TEST_REDIS_URL, keyPrefix: prefix });
      await again.migrate();
      await again.close();
      assert.equal(await raw.exists(`${prefix}candle:legacy:BTC-USD:1m`), 1);
    } finally {
      await store.close();
      raw.disconnect();
      await cleanup();
    }
  },
});
