import assert from "node:assert/strict";
import { createBinanceSource, resolveBinanceConfig } from "../../src/feeds/binance.ts";
import { FeedConfigError } from "../../src/feeds/feed_config.ts";
import { binanceTrade, startFakeBinance } from "../helpers/fake_venues/binance.ts";
import { FEED_WAIT, metric, passSleep, T0, waitForSleep, withFeed } from "./helpers.ts";
import { pollUntil } from "../helpers/services.ts";

Deno.test("createBinanceSource() subscribes to the combined stream and produces taker-side ticks", async () => {
  const server = startFakeBinance();
  const deps = await withFeed({
    venue: server,
    source: (deps) =>
      createBinanceSource(
        {
          url: server.url("/stream"),
          symbols: ["BTC-USDT", "ETH-USDT"],
          symbolMap: { "ETH-USDT": "ETH-USD" },
        },
        deps,
      ),
  }, async ({ out }) => {
    await pollUntil("connection", () => server.connections.length === 1, FEED_WAIT);
    assert.equal(
      server.connections[0].url.searchParams.get("streams"),
      "btcusdt@trade/ethusdt@trade",
    );
    server.broadcast(
      binanceTrade({ id: 1, time: T0 + 1, buyerIsMaker: true, price: "43000.10", qty: "0.5" }),
    );
    server.broadcast(
      binanceTrade({ id: 2, time: T0 + 2, buyerIsMaker: false, symbol: "ETHUSDT", price: "2300" }),
    );
    await pollUntil("two ticks", () => out.ticks.length === 2, FEED_WAIT);
    assert.deepEqual(out.ticks[0], {
      source: "binance",
      symbol: "BTC-USDT",
      price: 43000.1,
      size: 0.5,
      ts: T0 + 1,
      id: "1",
      side: "sell",
    });
    assert.equal(out.ticks[1].symbol, "ETH-USD");
    assert.equal(out.ticks[1].side, "buy");
  });
  assert.equal(await metric(deps.registry, "pipeline_feed_ticks_total", { source: "binance" }), 2);
  assert.equal(
    await metric(deps.registry, "pipeline_feed_messages_total", { source: "binance" }),
    2,
  );
});

Deno.test("createBinanceSource() dead-letters malformed JSON, unknown events and bad trades without stopping", async () => {
  const server = startFakeBinance();
  const deps = await withFeed({
    venue: server,
    source: (deps) =>
      createBinanceSource({ url: server.url("/stream"), symbols: ["BTC-USDT"] }, deps),
  }, async ({ deps, out }) => {
    await pollUntil("connection", () => server.connections.length === 1, FEED_WAIT);
    server.broadcast("{not json");
    server.broadcast(JSON.stringify({ stream: "btcusdt@kline_1m", data: { e: "kline" } }));
    server.broadcast(JSON.stringify({ hello: "world" }));
    server.broadcast(binanceTrade({ id: 3, time: T0, price: "-1" }));
    server.broadcast(binanceTrade({ id: 4, time: T0, symbol: "DOGEUSDT" }));
    server.broadcast(JSON.stringify({ result: null, id: 1 }));
    server.broadcast(binanceTrade({ id: 5, time: T0 + 5 }));
    await pollUntil("the good tick", () => out.ticks.length === 1, FEED_WAIT);
    assert.deepEqual(out.deadLetters.map((d) => d.reason), [
      "malformed_json",
      "unknown_message",
      "unknown_message",
      "bad_price",
      "unknown_symbol",
    ]);
    assert.equal(out.deadLetters[0].raw, "{not json");
    assert.ok(out.deadLetters.every((d) => d.source === "binance" && d.ts === deps.clock.now()));
    assert.equal(out.ticks[0].id, "5");
    // Each refusal is counted under a kind: the bad price and the unsubscribed symbol as rejected.
    const errors = (kind: string) =>
      metric(deps.registry, "pipeline_feed_errors_total", { source: "binance", kind });
    assert.equal(await errors("rejected"), 2);
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "binance",
      kind: "malformed",
    }),
    1,
  );
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "binance",
      kind: "unknown_message",
    }),
    2,
  );
});

Deno.test("createBinanceSource() reconnects with exponential backoff and drops replayed trades", async () => {
  const server = startFakeBinance();
  const deps = await withFeed({
    venue: server,
    source: (deps) =>
      createBinanceSource({
        url: server.url("/stream"),
        reconnectInitialMs: 1_000,
        reconnectMaxMs: 3_000,
      }, deps),
  }, async ({ deps, out }) => {
    await pollUntil("connection 1", () => server.connections.length === 1, FEED_WAIT);
    server.broadcast(binanceTrade({ id: 10, time: T0 }));
    await pollUntil("tick", () => out.ticks.length === 1, FEED_WAIT);
    for (const [n, delay] of [[2, 1_000], [3, 2_000], [4, 3_000], [5, 3_000]] as const) {
      server.dropAll();
      await waitForSleep(deps.clock, n - 1);
      assert.equal(deps.clock.sleeps[n - 2], delay);
      deps.clock.advance(delay - 1);
      assert.equal(server.connections.length, n - 1, "must not reconnect before the delay");
      deps.clock.advance(1);
      await pollUntil(`connection ${n}`, () => server.connections.length === n, FEED_WAIT);
    }
    server.broadcast(binanceTrade({ id: 10, time: T0 }));
    server.broadcast(binanceTrade({ id: 11, time: T0 + 1 }));
    await pollUntil("new tick", () => out.ticks.length === 2, FEED_WAIT);
    assert.deepEqual(out.ticks.map((t) => t.id), ["10", "11"]);
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_reconnects_total", { source: "binance" }),
    4,
  );
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "binance",
      kind: "closed",
    }),
    4,
  );
  assert.equal(
    await metric(deps.registry, "pipeline_duplicate_ticks_total", { source: "binance" }),
    1,
  );
});

Deno.test("createBinanceSource() reconnects after idleTimeoutMs of silence", async () => {
  const server = startFakeBinance();
  const deps = await withFeed({
    venue: server,
    source: (deps) =>
      createBinanceSource({ url: server.url("/stream"), idleTimeoutMs: 10_000 }, deps),
  }, async ({ deps, out }) => {
    await pollUntil("connection 1", () => server.connections.length === 1, FEED_WAIT);
    deps.clock.advance(6_000);
    server.broadcast(binanceTrade({ id: 1, time: T0 }));
    await pollUntil("tick", () => out.ticks.length === 1, FEED_WAIT);
    deps.clock.advance(9_999);
    assert.equal(server.connections[0].isOpen, true, "a frame restarts the idle timer");
    deps.clock.advance(1);
    await pollUntil("idle close", () => !server.connections[0].isOpen, FEED_WAIT);
    await passSleep(deps.clock, 1);
    await pollUntil("connection 2", () => server.connections.length === 2, FEED_WAIT);
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "binance",
      kind: "timeout",
    }),
    1,
  );
  assert.equal(
    await metric(deps.registry, "pipeline_feed_reconnects_total", { source: "binance" }),
    1,
  );
});

Deno.test("createBinanceSource() reconnects without backoff before Binance's 24 h close", async () => {
  const server = startFakeBinance();
  const age = resolveBinanceConfig().maxConnectionAgeMs;
  assert.ok(age < 24 * 3_600_000);
  const deps = await withFeed({
    venue: server,
    source: (deps) =>
      createBinanceSource({ url: server.url("/stream"), idleTimeoutMs: 25 * 3_600_000 }, deps),
  }, async ({ deps }) => {
    await pollUntil("connection 1", () => server.connections.length === 1, FEED_WAIT);
    deps.clock.advance(age - 1);
    assert.equal(server.connections[0].isOpen, true);
    deps.clock.advance(1);
    await pollUntil("planned reconnect", () => server.connections.length === 2, FEED_WAIT);
    assert.equal(deps.clock.sleeps.length, 0, "a planned reconnect does not back off");
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_reconnects_total", { source: "binance" }),
    1,
  );
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "binance",
      kind: "max_age",
    }),
    0,
  );
});

Deno.test("createBinanceSource() backs off when the server refuses the upgrade", async () => {
  const server = startFakeBinance();
  server.refuseNext(2, 503);
  const deps = await withFeed({
    venue: server,
    source: (deps) => createBinanceSource({ url: server.url("/stream") }, deps),
  }, async ({ deps }) => {
    await passSleep(deps.clock, 1);
    await waitForSleep(deps.clock, 2);
    assert.deepEqual(deps.clock.sleeps, [1_000, 2_000]);
    deps.clock.advance(2_000);
    await pollUntil("connected", () => server.connections.length === 1, FEED_WAIT);
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "binance",
      kind: "connect_failed",
    }),
    2,
  );
});

Deno.test("resolveBinanceConfig() reports every problem at once", () => {
  assert.throws(
    () =>
      resolveBinanceConfig(
        { url: "http://x", symbols: ["btcusdt"], idleTimeoutMs: -1, bogus: 1 } as never,
      ),
    (e: unknown) => {
      if (!(e instanceof FeedConfigError)) return false;
      assert.deepEqual(e.problems, ['unknown option "bogus"']);
      return true;
    },
  );
  assert.throws(
    () => resolveBinanceConfig({ url: "http://x", symbols: ["btcusdt"], idleTimeoutMs: -1 }),
    (e: unknown) => e instanceof FeedConfigError && e.problems.length === 3,
  );
  assert.equal(resolveBinanceConfig().url, "wss://stream.binance.com:9443/stream");
});

Deno.test("createBinanceSource() reconnects at once on serverShutdown and logs venue errors", async () => {
  const server = startFakeBinance();
  const deps = await withFeed({
    venue: server,
    source: (deps) => createBinanceSource({ url: server.url("/stream") }, deps),
  }, async ({ deps }) => {
    await pollUntil("connection", () => server.connections.length === 1, FEED_WAIT);
    server.broadcast(
      JSON.stringify({ code: 3, msg: "Invalid JSON: expected value at line 1 column 1" }),
    );
    server.broadcast(
      JSON.stringify({ stream: "btcusdt@trade", data: { e: "serverShutdown", E: T0 } }),
    );
    await pollUntil("reconnected", () => server.connections.length === 2, FEED_WAIT);
    assert.equal(deps.clock.sleeps.length, 0);
    assert.ok(deps.lines.some((l) => l.includes("Invalid JSON: expected value")));
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "binance",
      kind: "venue_error",
    }),
    1,
  );
  assert.equal(
    await metric(deps.registry, "pipeline_feed_reconnects_total", { source: "binance" }),
    1,
  );
});
