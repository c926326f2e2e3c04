import assert from "node:assert/strict";
import { createCoinbaseSource } from "../../src/feeds/coinbase.ts";
import { coinbaseMatch, startFakeCoinbase } from "../helpers/fake_venues/coinbase.ts";
import { FEED_WAIT, metric, passSleep, T0, withFeed } from "./helpers.ts";
import { pollUntil } from "../helpers/services.ts";

const iso = (ms: number) =>
  new Date(ms).toISOString().replace("Z", "123Z").replace(/\.(\d{3})123Z$/, ".$1123Z");

Deno.test("createCoinbaseSource() subscribes on open and converts the maker side to the taker side", async () => {
  const server = startFakeCoinbase();
  await withFeed({
    venue: server,
    source: (deps) =>
      createCoinbaseSource({ url: server.url(), symbols: ["BTC-USD", "ETH-USD"] }, deps),
  }, async ({ out }) => {
    await pollUntil("subscribe", () => server.connections[0]?.received.length === 1, FEED_WAIT);
    assert.deepEqual(JSON.parse(server.connections[0].received[0]), {
      type: "subscribe",
      product_ids: ["BTC-USD", "ETH-USD"],
      channels: ["matches", "heartbeat"],
    });
    server.broadcast(
      JSON.stringify({
        type: "heartbeat",
        sequence: 1,
        last_trade_id: 1,
        product_id: "BTC-USD",
        time: iso(T0),
      }),
    );
    server.broadcast(
      coinbaseMatch({ tradeId: 1, side: "sell", time: iso(T0 + 1), price: "43000.5", size: "0.2" }),
    );
    server.broadcast(coinbaseMatch({ tradeId: 2, side: "buy", time: iso(T0 + 2) }));
    await pollUntil("two ticks", () => out.ticks.length === 2, FEED_WAIT);
    assert.deepEqual(out.ticks[0], {
      source: "coinbase",
      symbol: "BTC-USD",
      price: 43000.5,
      size: 0.2,
      ts: T0 + 1,
      id: "1",
      side: "buy",
    });
    assert.equal(out.ticks[1].side, "sell");
    assert.equal(out.deadLetters.length, 0);
  });
});

Deno.test("createCoinbaseSource() counts trade-id gaps, drops the replayed last_match and dead-letters bad frames", async () => {
  const server = startFakeCoinbase();
  const deps = await withFeed({
    venue: server,
    source: (deps) => createCoinbaseSource({ url: server.url(), symbols: ["BTC-USD"] }, deps),
  }, async ({ deps, out }) => {
    await pollUntil("subscribe", () => server.connections[0]?.received.length === 1, FEED_WAIT);
    server.broadcast(coinbaseMatch({ tradeId: 10, time: iso(T0) }));
    server.broadcast(coinbaseMatch({ tradeId: 11, time: iso(T0) }));
    server.broadcast(coinbaseMatch({ tradeId: 14, time: iso(T0) }));
    server.broadcast("[1,2");
    server.broadcast(JSON.stringify({ type: "l2update", product_id: "BTC-USD" }));
    server.broadcast(coinbaseMatch({ tradeId: 15, time: "yesterday" }));
    await pollUntil(
      "3 ticks, 3 dead letters",
      () => out.ticks.length === 3 && out.deadLetters.length === 3,
      FEED_WAIT,
    );
    server.dropAll();
    await passSleep(deps.clock, 1);
    await pollUntil("resubscribed", () => server.connections[1]?.received.length === 1, FEED_WAIT);
    server.broadcast(coinbaseMatch({ tradeId: 14, time: iso(T0), type: "last_match" }));
    server.broadcast(coinbaseMatch({ tradeId: 16, time: iso(T0) }));
    await pollUntil("tick 16", () => out.ticks.length === 4, FEED_WAIT);
    assert.deepEqual(out.ticks.map((t) => t.id), ["10", "11", "14", "16"]);
    assert.deepEqual(out.deadLetters.map((d) => d.reason), [
      "malformed_json",
      "unknown_message",
      "bad_timestamp",
    ]);
  });
  const m = (name: string) => metric(deps.registry, name, { source: "coinbase" });
  assert.equal(
    await m("pipeline_feed_sequence_gaps_total"),
    1,
    "14 after 11 is one gap; 15 was rejected, 16 follows it",
  );
  assert.equal(await m("pipeline_duplicate_ticks_total"), 1);
  assert.equal(await m("pipeline_feed_reconnects_total"), 1);
});

Deno.test("createCoinbaseSource() reconnects after an error message", async () => {
  const server = startFakeCoinbase();
  const deps = await withFeed({
    venue: server,
    source: (deps) => createCoinbaseSource({ url: server.url() }, deps),
  }, async ({ deps }) => {
    await pollUntil("subscribe", () => server.connections[0]?.received.length === 1, FEED_WAIT);
    server.broadcast(
      JSON.stringify({
        type: "error",
        message: "Failed to subscribe",
        reason: "ETH-XYZ is not a valid product",
      }),
    );
    await passSleep(deps.clock, 1);
    await pollUntil("connection 2", () => server.connections.length === 2, FEED_WAIT);
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "coinbase",
      kind: "venue_error",
    }),
    1,
  );
  assert.ok(deps.lines.some((l) => l.includes("ETH-XYZ is not a valid product")));
});
