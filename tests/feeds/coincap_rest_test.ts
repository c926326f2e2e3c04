import assert from "node:assert/strict";
import {
  CoinCapAuthError,
  createCoinCapRestSource,
  resolveCoinCapRestConfig,
} from "../../src/feeds/coincap_rest.ts";
import { FeedConfigError } from "../../src/feeds/feed_config.ts";
import { respond, responseTime, startFakeCoinCap } from "../helpers/fake_venues/coincap.ts";
import {
  collect,
  FEED_WAIT,
  histogramCount,
  metric,
  T0,
  testDeps,
  waitForSleep,
  withFeed,
} from "./helpers.ts";
import { pollUntil } from "../helpers/services.ts";

const KEY = "test-key";

Deno.test("createCoinCapRestSource() polls with the Bearer key and uses the response timestamp as event time", async () => {
  const api = startFakeCoinCap(KEY, T0);
  const deps = await withFeed({
    venue: api,
    source: (deps) =>
      createCoinCapRestSource({ url: api.restUrl, apiKey: KEY, pollIntervalMs: 30_000 }, deps),
  }, async ({ deps, out }) => {
    await pollUntil("first poll", () => out.ticks.length === 2, FEED_WAIT);
    assert.equal(api.requests[0].authorization, `Bearer ${KEY}`);
    assert.equal(api.requests[0].url.searchParams.get("ids"), "bitcoin,ethereum");
    assert.deepEqual(out.ticks[0], {
      source: "coincap",
      symbol: "BTC-USD",
      price: 43000.123456789,
      size: null,
      ts: T0,
      id: `bitcoin:${T0}`,
    });
    assert.equal(out.ticks[1].symbol, "ETH-USD");
    await waitForSleep(deps.clock, 1);
    assert.deepEqual(deps.clock.sleeps, [30_000]);
    deps.clock.advance(29_999);
    assert.equal(api.requests.length, 1);
    deps.clock.advance(1);
    await pollUntil("second poll", () => out.ticks.length === 4, FEED_WAIT);
    assert.equal(out.ticks[2].ts, responseTime(T0, 1));
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_messages_total", { source: "coincap" }),
    2,
  );
  assert.equal(await metric(deps.registry, "pipeline_feed_ticks_total", { source: "coincap" }), 4);
  assert.equal(await histogramCount(deps.registry, "pipeline_feed_request_seconds", "coincap"), 2);
});

Deno.test("createCoinCapRestSource() logs a 401 clearly and waits unauthorizedRetryMs instead of hot-looping", async () => {
  const api = startFakeCoinCap("the-real-key", T0);
  const deps = await withFeed({
    venue: api,
    source: (deps) =>
      createCoinCapRestSource(
        { url: api.restUrl, apiKey: "wrong", unauthorizedRetryMs: 600_000 },
        deps,
      ),
  }, async ({ deps }) => {
    await waitForSleep(deps.clock, 1);
    assert.deepEqual(deps.clock.sleeps, [600_000]);
    assert.equal(api.requests.length, 1);
    assert.ok(
      deps.lines.some((l) =>
        l.includes("CoinCap rejected the API key") && l.includes("COINCAP_API_KEY")
      ),
    );
    deps.clock.advance(600_000);
    await waitForSleep(deps.clock, 2);
    assert.equal(api.requests.length, 2);
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "coincap",
      kind: "http_401",
    }),
    2,
  );
});

Deno.test("createCoinCapRestSource() fails with CoinCapAuthError on 401 when stopOnUnauthorized", async () => {
  const api = startFakeCoinCap("the-real-key", T0);
  const deps = testDeps();
  const out = collect();
  try {
    await assert.rejects(
      createCoinCapRestSource({ url: api.restUrl, apiKey: "wrong", stopOnUnauthorized: true }, deps)
        .run(out.output, new AbortController().signal),
      (e: unknown) => e instanceof CoinCapAuthError && e.status === 401 && !e.retriable,
    );
  } finally {
    await api.close();
  }
});

Deno.test("createCoinCapRestSource() honours Retry-After on 429 and 5xx and backs off exponentially without it", async () => {
  const api = startFakeCoinCap(KEY, T0);
  api.script(
    respond(429, "slow down", { "Retry-After": "30" }),
    respond(500, "oops"),
    respond(503, "maintenance"),
    respond(502, "bad gateway", { "Retry-After": new Date(T0 + 100_000).toUTCString() }),
  );
  const deps = await withFeed({
    venue: api,
    source: (deps) =>
      createCoinCapRestSource({ url: api.restUrl, apiKey: KEY, retryInitialMs: 5_000 }, deps),
  }, async ({ deps, out }) => {
    // The 4th request happens at T0 + 45 s; its Retry-After date is T0 + 100 s.
    const expected = [30_000, 5_000, 10_000, 55_000];
    for (let i = 0; i < expected.length; i++) {
      await waitForSleep(deps.clock, i + 1);
      assert.equal(deps.clock.sleeps[i], expected[i], `delay ${i + 1}`);
      if (i < expected.length - 1) deps.clock.advance(expected[i]);
    }
    deps.clock.advance(55_000);
    await pollUntil("recovered", () => out.ticks.length === 2, FEED_WAIT);
    await waitForSleep(deps.clock, 5);
    assert.equal(deps.clock.sleeps[4], 60_000);
  });
  const errors = (kind: string) =>
    metric(deps.registry, "pipeline_feed_errors_total", { source: "coincap", kind });
  assert.equal(await errors("http_429"), 1);
  assert.equal(await errors("http_5xx"), 3);
});

Deno.test("createCoinCapRestSource() dead-letters malformed and unexpected bodies and bad assets", async () => {
  const api = startFakeCoinCap(KEY, T0);
  api.script(
    respond(200, "<html>gateway</html>"),
    respond(200, JSON.stringify({ error: "something" })),
    respond(
      200,
      JSON.stringify({
        data: [{ id: "bitcoin" }, { id: "dogecoin", priceUsd: "0.1" }, {
          id: "ethereum",
          priceUsd: "2300",
        }],
        timestamp: T0,
      }),
    ),
  );
  await withFeed({
    venue: api,
    source: (deps) =>
      createCoinCapRestSource({ url: api.restUrl, apiKey: KEY, pollIntervalMs: 1_000 }, deps),
  }, async ({ deps, out }) => {
    for (let i = 1; i <= 2; i++) {
      await waitForSleep(deps.clock, i);
      deps.clock.advance(1_000);
    }
    await pollUntil("ETH tick", () => out.ticks.length === 1, FEED_WAIT);
    assert.deepEqual(out.deadLetters.map((d) => d.reason), [
      "malformed_json",
      "unknown_message",
      "missing_field",
      "unknown_symbol",
    ]);
    assert.equal(out.deadLetters[0].raw, "<html>gateway</html>");
    assert.equal(out.ticks[0].symbol, "ETH-USD");
  });
});

Deno.test("createCoinCapRestSource() times out a slow response on the injected clock, then recovers", async () => {
  const api = startFakeCoinCap(KEY, T0);
  api.script(api.slow());
  const deps = await withFeed({
    venue: api,
    source: (deps) =>
      createCoinCapRestSource({ url: api.restUrl, apiKey: KEY, requestTimeoutMs: 10_000 }, deps),
  }, async ({ deps, out }) => {
    await pollUntil("request in flight", () => api.requests.length === 1, FEED_WAIT);
    deps.clock.advance(10_000);
    await waitForSleep(deps.clock, 1);
    assert.equal(deps.clock.sleeps[0], 5_000);
    api.release();
    deps.clock.advance(5_000);
    await pollUntil("ticks", () => out.ticks.length === 2, FEED_WAIT);
  });
  assert.equal(
    await metric(deps.registry, "pipeline_feed_errors_total", {
      source: "coincap",
      kind: "timeout",
    }),
    1,
  );
});

Deno.test("createCoinCapRestSource() drops a repeated response timestamp as a duplicate", async () => {
  const api = startFakeCoinCap(KEY, T0);
  const body = JSON.stringify({ data: [{ id: "bitcoin", priceUsd: "43000" }], timestamp: T0 });
  api.script(respond(200, body), respond(200, body));
  const deps = await withFeed({
    venue: api,
    source: (deps) =>
      createCoinCapRestSource(
        { url: api.restUrl, apiKey: KEY, assets: { bitcoin: "BTC-USD" } },
        deps,
      ),
  }, async ({ deps, out }) => {
    await waitForSleep(deps.clock, 1);
    deps.clock.advance(60_000);
    await waitForSleep(deps.clock, 2);
    assert.equal(out.ticks.length, 1);
  });
  assert.equal(
    await metric(deps.registry, "pipeline_duplicate_ticks_total", { source: "coincap" }),
    1,
  );
});

Deno.test("createCoinCapRestSource() backfills m1 history before polling when backfillMinutes is set", async () => {
  const api = startFakeCoinCap(KEY, T0 + 600_000);
  const deps = testDeps();
  deps.clock.advance(300_000 + 30_000);
  await withFeed({
    venue: api,
    deps,
    source: (deps) =>
      createCoinCapRestSource({
        url: api.restUrl,
        apiKey: KEY,
        assets: { bitcoin: "BTC-USD" },
        backfillMinutes: 5,
      }, deps),
  }, async ({ out }) => {
    await pollUntil("backfill and first poll", () => out.ticks.length === 6, FEED_WAIT);
    const history = api.requests[0].url;
    assert.equal(history.pathname, "/v3/assets/bitcoin/history");
    assert.equal(history.searchParams.get("interval"), "m1");
    assert.equal(history.searchParams.get("start"), String(T0 + 30_000));
    assert.equal(history.searchParams.get("end"), String(T0 + 330_000));
    assert.equal(api.requests[0].authorization, `Bearer ${KEY}`);
    assert.deepEqual(out.ticks.map((t) => t.ts), [
      T0 + 60_000,
      T0 + 120_000,
      T0 + 180_000,
      T0 + 240_000,
      T0 + 300_000,
      T0 + 600_000,
    ]);
    assert.equal(out.ticks[0].id, `bitcoin:${T0 + 60_000}`);
  });
});

Deno.test("resolveCoinCapRestConfig() requires a key and reports every problem", () => {
  assert.throws(
    () =>
      resolveCoinCapRestConfig({ url: "ftp://x", assets: { Bitcoin: "btc" }, pollIntervalMs: 10 }),
    (e: unknown) => {
      if (!(e instanceof FeedConfigError)) return false;
      assert.equal(e.problems.length, 5, e.problems.join("\n"));
      assert.ok(e.problems.some((m) => m.includes("COINCAP_API_KEY")));
      return true;
    },
  );
  assert.equal(resolveCoinCapRestConfig({ apiKey: "k" }).pollIntervalMs, 60_000);
});
