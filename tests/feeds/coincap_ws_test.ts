import assert from "node:assert/strict";
import { createCoinCapWsSource } from "../../src/feeds/coincap_ws.ts";
import { startFakeCoinCap } from "../helpers/fake_venues/coincap.ts";
import { collect, metric, runInBackground, T0, testDeps } from "./helpers.ts";
import { pollUntil } from "../helpers/services.ts";

const KEY = "ws-key";

Deno.test("createCoinCapWsSource() turns price maps into ticks stamped with the receive time", async () => {
  const api = startFakeCoinCap(KEY, T0);
  const deps = testDeps();
  const out = collect();
  const run = runInBackground(
    createCoinCapWsSource({ url: api.wsUrl, apiKey: KEY, rest: { url: api.restUrl } }, deps).run,
    out.output,
  );
  try {
    await pollUntil("connection", () => api.wsConnections.length === 1, 5000, 5);
    const url = api.wsConnections[0].url;
    assert.equal(url.searchParams.get("assets"), "bitcoin,ethereum");
    assert.equal(url.searchParams.get("apiKey"), KEY);
    api.wsConnections[0].send(JSON.stringify({ bitcoin: "43001.5", ethereum: "2301.25" }));
    await pollUntil("two ticks", () => out.ticks.length === 2, 5000, 5);
    deps.clock.advance(1_500);
    api.wsConnections[0].send(JSON.stringify({ bitcoin: "43002", solana: "99", ethereum: "abc" }));
    api.wsConnections[0].send("not json");
    await pollUntil(
      "3 ticks, 3 dead letters",
      () => out.ticks.length === 3 && out.deadLetters.length === 3,
      5000,
      5,
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
  } finally {
    await run.stop();
    await api.close();
  }
});

Deno.test("createCoinCapWsSource() falls back to REST polling on an Unauthorized frame", async () => {
  const api = startFakeCoinCap(KEY, T0);
  api.unauthorizedWs = true;
  const deps = testDeps();
  const out = collect();
  const run = runInBackground(
    createCoinCapWsSource({
      url: api.wsUrl,
      apiKey: KEY,
      rest: { url: api.restUrl, pollIntervalMs: 120_000 },
    }, deps)
      .run,
    out.output,
  );
  try {
    await pollUntil("REST ticks", () => out.ticks.length === 2, 5000, 5);
    assert.equal(api.wsConnections.length, 1, "no WebSocket reconnect after Unauthorized");
    assert.equal(api.requests[0].authorization, `Bearer ${KEY}`);
    assert.ok(
      deps.lines.some((l) =>
        l.includes("no WebSocket access") && l.includes("falling back to REST")
      ),
    );
    await pollUntil("poll interval", () => deps.clock.sleeps.length === 1, 5000, 5);
    assert.deepEqual(deps.clock.sleeps, [120_000]);
    assert.equal(out.ticks[0].ts, T0);
    assert.ok(!deps.lines.some((l) => l.includes(KEY)), "the API key never reaches the logs");
  } finally {
    await run.stop();
    await api.close();
  }
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
  const deps = testDeps();
  const out = collect();
  const run = runInBackground(
    createCoinCapWsSource({
      url: api.wsUrl,
      apiKey: KEY,
      fallbackAfterConnectFailures: 3,
      rest: { url: api.restUrl },
    }, deps).run,
    out.output,
  );
  try {
    for (let i = 1; i <= 2; i++) {
      await pollUntil(`backoff ${i}`, () => deps.clock.sleeps.length === i, 5000, 5);
      deps.clock.advance(deps.clock.sleeps[i - 1]);
    }
    await pollUntil("REST ticks", () => out.ticks.length === 2, 5000, 5);
    assert.equal(api.wsAttempts, 3);
    assert.ok(
      deps.lines.some((l) => l.includes("polling REST instead") && l.includes("connect_failed")),
    );
  } finally {
    await run.stop();
    await api.close();
  }
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "coincap",
      kind: "connect_failed",
    }),
    3,
  );
});
