import assert from "node:assert/strict";
import { createLiveSource, feedConfigsFromEnv, LIVE_FEEDS } from "../../src/feeds/feed_env.ts";
import { FeedConfigError } from "../../src/feeds/feed_config.ts";
import { testDeps } from "./helpers.ts";

Deno.test("feedConfigsFromEnv() maps the feed variables to partial configs", () => {
  const { configs, errors } = feedConfigsFromEnv({
    COINCAP_API_KEY: "k",
    COINCAP_TRANSPORT: "ws",
    COINCAP_POLL_INTERVAL: "2m",
    COINCAP_ASSETS: "bitcoin=BTC-USD, solana=SOL-USD",
    COINCAP_REST_URL: "http://127.0.0.1:1/v3",
    COINCAP_WS_URL: "ws://127.0.0.1:1/prices",
    BINANCE_SYMBOLS: "BTC-USDT,ETH-USDT",
    BINANCE_SYMBOL_MAP: "BTC-USDT=BTC-USD",
    KRAKEN_WS_URL: "ws://127.0.0.1:2/v2",
    COINBASE_SYMBOLS: "",
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(configs.coincapRest, {
    apiKey: "k",
    assets: { bitcoin: "BTC-USD", solana: "SOL-USD" },
    url: "http://127.0.0.1:1/v3",
    pollIntervalMs: 120_000,
  });
  assert.deepEqual(configs.coincapWs, {
    apiKey: "k",
    assets: { bitcoin: "BTC-USD", solana: "SOL-USD" },
    url: "ws://127.0.0.1:1/prices",
    rest: { url: "http://127.0.0.1:1/v3", pollIntervalMs: 120_000 },
  });
  assert.equal(configs.coincapTransport, "ws");
  assert.deepEqual(configs.binance, {
    symbols: ["BTC-USDT", "ETH-USDT"],
    symbolMap: { "BTC-USDT": "BTC-USD" },
  });
  assert.deepEqual(configs.kraken, { url: "ws://127.0.0.1:2/v2" });
  assert.deepEqual(configs.coinbase, {});
  const deps = testDeps();
  assert.deepEqual(LIVE_FEEDS.map((n) => createLiveSource(n, configs, deps).name), LIVE_FEEDS);
});

Deno.test("feedConfigsFromEnv() reports every bad variable", () => {
  const { errors } = feedConfigsFromEnv({
    COINCAP_POLL_INTERVAL: "often",
    COINCAP_ASSETS: "bitcoin",
    COINCAP_TRANSPORT: "carrier-pigeon",
    COINCAP_BACKFILL_MINUTES: "-5",
  });
  assert.equal(errors.length, 4, errors.join("\n"));
});

Deno.test("createLiveSource() fails on a missing CoinCap key with the variable's name", () => {
  const { configs } = feedConfigsFromEnv({});
  assert.throws(
    () => createLiveSource("coincap", configs, testDeps()),
    (e: unknown) => e instanceof FeedConfigError && e.message.includes("COINCAP_API_KEY"),
  );
});
