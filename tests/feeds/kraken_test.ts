import assert from "node:assert/strict";
import { createKrakenSource, KRAKEN_DEFAULTS } from "../../src/feeds/kraken.ts";
import { krakenTrade, krakenTradeFrame, startFakeKraken } from "../helpers/fake_venues/kraken.ts";
import { FEED_WAIT, metric, T0, waitForSleep, withFeed } from "./helpers.ts";
import { pollUntil } from "../helpers/services.ts";

const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "456Z");

Deno.test("createKrakenSource() subscribes to trade v2 and produces ticks from RFC 3339 times", async () => {
  const server = startFakeKraken();
  await withFeed({
    venue: server,
    source: (deps) =>
      createKrakenSource({
        url: server.url("/v2"),
        symbols: ["BTC-USD", "ETH-USD"],
        snapshot: false,
      }, deps),
  }, async ({ out }) => {
    await pollUntil("subscribe", () => server.connections[0]?.received.length === 1, FEED_WAIT);
    assert.deepEqual(JSON.parse(server.connections[0].received[0]), {
      method: "subscribe",
      params: { channel: "trade", symbol: ["BTC/USD", "ETH/USD"], snapshot: false },
      req_id: 1,
    });
    server.broadcast(JSON.stringify({ channel: "heartbeat" }));
    server.broadcast(krakenTradeFrame("update", [
      krakenTrade({ trade_id: 7, timestamp: iso(T0), side: "sell", price: 43000.5, qty: 0.1 }),
      krakenTrade({ trade_id: 3, timestamp: iso(T0 + 1), symbol: "ETH/USD", price: 2300, qty: 1 }),
    ]));
    await pollUntil("two ticks", () => out.ticks.length === 2, FEED_WAIT);
    assert.deepEqual(out.ticks[0], {
      source: "kraken",
      symbol: "BTC-USD",
      price: 43000.5,
      size: 0.1,
      ts: T0,
      id: "7",
      side: "sell",
    });
    assert.equal(out.ticks[1].symbol, "ETH-USD");
    assert.equal(out.deadLetters.length, 0);
  });
});

Deno.test("createKrakenSource() drops snapshot trades replayed after a reconnect", async () => {
  const server = startFakeKraken();
  server.history.push(
    krakenTrade({ trade_id: 1, timestamp: iso(T0) }),
    krakenTrade({ trade_id: 2, timestamp: iso(T0 + 1) }),
  );
  const deps = await withFeed({
    venue: server,
    source: (deps) => createKrakenSource({ url: server.url("/v2"), symbols: ["BTC-USD"] }, deps),
  }, async ({ deps, out }) => {
    await pollUntil("snapshot", () => out.ticks.length === 2, FEED_WAIT);
    server.history.push(krakenTrade({ trade_id: 3, timestamp: iso(T0 + 2) }));
    server.dropAll();
    await waitForSleep(deps.clock, 1);
    assert.equal(deps.clock.sleeps[0], KRAKEN_DEFAULTS.reconnectInitialMs);
    deps.clock.advance(deps.clock.sleeps[0]);
    await pollUntil("gap filled from the snapshot", () => out.ticks.length === 3, FEED_WAIT);
    assert.deepEqual(out.ticks.map((t) => t.id), ["1", "2", "3"]);
  });
  assert.equal(
    await metric(deps.registry, "pipeline_duplicate_ticks_total", { source: "kraken" }),
    2,
  );
});

Deno.test("createKrakenSource() logs a rejected pair and dead-letters bad entries and unknown messages", async () => {
  const server = startFakeKraken(["BTC/USD"]);
  const deps = await withFeed({
    venue: server,
    source: (deps) =>
      createKrakenSource({ url: server.url("/v2"), symbols: ["BTC-USD", "DOGE-EUR"] }, deps),
  }, async ({ deps, out }) => {
    await pollUntil("subscribe", () => server.connections[0]?.received.length === 1, FEED_WAIT);
    await pollUntil(
      "rejection logged",
      () => deps.lines.some((l) => l.includes("Currency pair not supported DOGE/EUR")),
      FEED_WAIT,
    );
    server.broadcast(krakenTradeFrame("update", [
      krakenTrade({ trade_id: 1, timestamp: "not a time" }),
      krakenTrade({ trade_id: 2, timestamp: iso(T0), price: 0 }),
      krakenTrade({ trade_id: 3, timestamp: iso(T0), symbol: "SOL/USD" }),
      krakenTrade({ trade_id: 4, timestamp: iso(T0) }),
    ]));
    server.broadcast(JSON.stringify({ channel: "book", type: "update", data: [] }));
    server.broadcast("{{");
    await pollUntil("5 dead letters", () => out.deadLetters.length === 5, FEED_WAIT);
    assert.deepEqual(out.deadLetters.map((d) => d.reason), [
      "bad_timestamp",
      "bad_price",
      "unknown_symbol",
      "unknown_message",
      "malformed_json",
    ]);
    assert.equal(
      JSON.parse(out.deadLetters[0].raw).trade_id,
      1,
      "the raw of a bad entry is that entry",
    );
    assert.deepEqual(out.ticks.map((t) => t.id), ["4"]);
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "kraken",
      kind: "subscribe_failed",
    }),
    1,
  );
});

Deno.test("createKrakenSource() caps reconnects to its budget so Kraken does not ban the IP", async () => {
  const server = startFakeKraken();
  server.refuseNext(100, 503);
  await withFeed({
    venue: server,
    source: (deps) =>
      createKrakenSource({
        url: server.url("/v2"),
        reconnectInitialMs: 1_000,
        reconnectMaxMs: 4_000,
        maxConnectsPerWindow: 3,
        connectWindowMs: 600_000,
      }, deps),
  }, async ({ deps }) => {
    // Attempts at 0, 1 s, 3 s; the 4th waits until the first leaves the 10-minute window (600 s).
    await waitForSleep(deps.clock, 1);
    deps.clock.advance(1_000);
    await waitForSleep(deps.clock, 2);
    deps.clock.advance(2_000);
    await waitForSleep(deps.clock, 3);
    assert.deepEqual(deps.clock.sleeps, [1_000, 2_000, 597_000]);
  });
});

Deno.test("createKrakenSource() dead-letters an oversized frame as too_large", async () => {
  const server = startFakeKraken();
  await withFeed({
    venue: server,
    source: (deps) => createKrakenSource({ url: server.url("/v2"), maxFrameBytes: 1_000 }, deps),
  }, async ({ out }) => {
    await pollUntil("subscribe", () => server.connections[0]?.received.length === 1, FEED_WAIT);
    const trades = Array.from(
      { length: 20 },
      (_, i) => krakenTrade({ trade_id: i, timestamp: iso(T0) }),
    );
    server.broadcast(krakenTradeFrame("update", trades));
    await pollUntil("dead letter", () => out.deadLetters.length === 1, FEED_WAIT);
    assert.equal(out.deadLetters[0].reason, "too_large");
    assert.equal(out.deadLetters[0].raw.length, 1024);
    assert.equal(out.ticks.length, 0);
  });
});
