import assert from "node:assert/strict";
import { createCoinCapWsSource } from "../../src/feeds/coincap_ws.ts";
import { startFakeCoinCap } from "../helpers/fake_venues/coincap.ts";
import {
  collect,
  FEED_WAIT,
  metric,
  passSleep,
  T0,
  testDeps,
  waitForSleep,
  withFeed,
} from "./helpers.ts";
import { pollUntil } from "../helpers/services.ts";

const KEY = "ws-key";

Deno.test("createCoinCapWsSource() turns price maps into ticks stamped with the receive time", async () => {
  const api = startFakeCoinCap(KEY, T0);
  await withFeed({
    venue: api,
    source: (deps) =>
      createCoinCapWsSource({ url: api.wsUrl, apiKey: KEY, rest: { url: api.restUrl } }, deps),
  }, async ({ deps, out }) => {
    await pollUntil("connection", () => api.wsConnections.length === 1, FEED_WAIT);
    const url = api.wsConnections[0].url;
    assert.equal(url.searchParams.get("assets"), "bitcoin,ethereum");
    assert.equal(url.searchParams.get("apiKey"), KEY);
    api.wsConnections[0].send(JSON.stringify({ bitcoin: "43001.5", ethereum: "2301.25" }));
    await pollUntil("two ticks", () => out.ticks.length === 2, FEED_WAIT);
    deps.clock.advance(1_500);
    api.wsConnections[0].send(JSON.stringify({ bitcoin: "43002", solana: "99", ethereum: "abc" }));
    api.wsConnections[0].send("not json");
    await pollUntil(
      "3 ticks, 3 dead letters",
      () => out.ticks.length === 3 && out.deadLetters.length === 3,
      FEED_WAIT,
    );
    assert.deepEqual(out.ticks.map((t) => [t.symbol, t.price, t.size, t.ts, t.id]), [
      ["BTC-USD", 43001.5, null, T0, `bitcoin:${T0}`],
      ["ETH-USD", 2301.25, null, T0, `ethereum:${T0}`],
      ["BTC-USD", 43002, null, T0 + 1_500, `bitcoin:${T0 + 1_500}`],
    ]);
    assert.deepEqual(out.deadLetters.map((d) => d.reason), [
      "unknown_symbol",
      "bad_price",
      "malformed_json",
    ]);
    assert.equal(api.requests.length, 0, "no REST calls while the WebSocket works");
  });
});

Deno.test("createCoinCapWsSource() falls back to REST polling on an Unauthorized frame", async () => {
  const api = startFakeCoinCap(KEY, T0);
  api.unauthorizedWs = true;
  const deps = await withFeed({
    venue: api,
    source: (deps) =>
      createCoinCapWsSource({
        url: api.wsUrl,
        apiKey: KEY,
        rest: { url: api.restUrl, pollIntervalMs: 120_000 },
      }, deps),
  }, async ({ deps, out }) => {
    await pollUntil("REST ticks", () => out.ticks.length === 2, FEED_WAIT);
    assert.equal(api.wsConnections.length, 1, "no WebSocket reconnect after Unauthorized");
    assert.equal(api.requests[0].authorization, `Bearer ${KEY}`);
    assert.ok(
      deps.lines.some((l) =>
        l.includes("no WebSocket access") && l.includes("falling back to REST")
      ),
    );
    await waitForSleep(deps.clock, 1);
    assert.deepEqual(deps.clock.sleeps, [120_000]);
    assert.equal(out.ticks[0].ts, T0);
    assert.ok(!deps.lines.some((l) => l.includes(KEY)), "the API key never reaches the logs");
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "coincap",
      kind: "unauthorized",
    }),
    1,
  );
  assert.equal(
    await metric(deps.registry, "pipeline_feed_reconnects_total", { source: "coincap" }),
    0,
  );
});

Deno.test("createCoinCapWsSource() ends on Unauthorized when fallbackToRest is false", async () => {
  const api = startFakeCoinCap(KEY, T0);
  api.unauthorizedWs = true;
  const deps = testDeps();
  const out = collect();
  try {
    await createCoinCapWsSource({ url: api.wsUrl, apiKey: KEY, fallbackToRest: false }, deps)
      .run(out.output, new AbortController().signal);
    assert.equal(api.requests.length, 0);
    assert.equal(out.ticks.length, 0);
  } finally {
    await api.close();
  }
});

Deno.test("createCoinCapWsSource() falls back to REST after fallbackAfterConnectFailures refused handshakes", async () => {
  const api = startFakeCoinCap(KEY, T0);
  api.refuseWsStatus = 401;
  const deps = await withFeed({
    venue: api,
    source: (deps) =>
      createCoinCapWsSource({
        url: api.wsUrl,
        apiKey: KEY,
        fallbackAfterConnectFailures: 3,
        rest: { url: api.restUrl },
      }, deps),
  }, async ({ deps, out }) => {
    for (let i = 1; i <= 2; i++) {
      await passSleep(deps.clock, i);
    }
    await pollUntil("REST ticks", () => out.ticks.length === 2, FEED_WAIT);
    assert.equal(api.wsAttempts, 3);
    assert.ok(
      deps.lines.some((l) => l.includes("polling REST instead") && l.includes("connect_failed")),
    );
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "coincap",
      kind: "connect_failed",
    }),
    3,
  );
});
