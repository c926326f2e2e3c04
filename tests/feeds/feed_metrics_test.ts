import assert from "node:assert/strict";
import { createBinanceSource } from "../../src/feeds/binance.ts";
import { createCoinbaseSource } from "../../src/feeds/coinbase.ts";
import { createCoinCapRestSource } from "../../src/feeds/coincap_rest.ts";
import { createKrakenSource } from "../../src/feeds/kraken.ts";
import type { Source } from "../../src/feeds/source.ts";
import { binanceTrade, startFakeBinance } from "../helpers/fake_venues/binance.ts";
import { coinbaseMatch, startFakeCoinbase } from "../helpers/fake_venues/coinbase.ts";
import { startFakeCoinCap } from "../helpers/fake_venues/coincap.ts";
import { krakenTrade, krakenTradeFrame, startFakeKraken } from "../helpers/fake_venues/kraken.ts";
import type { FakeWsServer } from "../helpers/fake_venues/ws_server.ts";
import { FEED_WAIT, metric, reconnect, T0, type TestDeps, withFeed } from "./helpers.ts";
import { pollUntil } from "../helpers/services.ts";

const FEED_METRICS = [
  "pipeline_feed_messages_total",
  "pipeline_feed_ticks_total",
  "pipeline_feed_reconnects_total",
  "pipeline_feed_errors_total",
  "pipeline_feed_last_message_age_seconds",
];

const iso = (ms: number) => new Date(ms).toISOString();

const venues: {
  name: string;
  start(): FakeWsServer;
  source(url: string, deps: TestDeps): Source;
  trade(): string;
}[] = [
  {
    name: "binance",
    start: startFakeBinance,
    source: (url, deps) => createBinanceSource({ url }, deps),
    trade: () => binanceTrade({ id: 1, time: T0 }),
  },
  {
    name: "coinbase",
    start: startFakeCoinbase,
    source: (url, deps) => createCoinbaseSource({ url }, deps),
    trade: () => coinbaseMatch({ tradeId: 1, time: iso(T0) }),
  },
  {
    name: "kraken",
    start: () => startFakeKraken(),
    source: (url, deps) => createKrakenSource({ url }, deps),
    trade: () => krakenTradeFrame("update", [krakenTrade({ trade_id: 1, timestamp: iso(T0) })]),
  },
];

for (const v of venues) {
  Deno.test(`create${v.name[0].toUpperCase()}${v.name.slice(1)}Source() emits every pipeline_feed_* metric`, async () => {
    const server = v.start();
    const deps = await withFeed({
      venue: server,
      source: (deps) => v.source(server.url(), deps),
    }, async ({ deps, out }) => {
      await pollUntil("connection", () => server.connections.length === 1, FEED_WAIT);
      server.broadcast(v.trade());
      await pollUntil("tick", () => out.ticks.length === 1, FEED_WAIT);
      await reconnect(server, deps.clock);
    });
    const labels = { source: v.name };
    for (const name of FEED_METRICS) {
      assert.ok(deps.registry.getSingleMetric(name), `${name} registered`);
    }
    assert.ok(await metric(deps.registry, "pipeline_feed_messages_total", labels) >= 1);
    assert.equal(await metric(deps.registry, "pipeline_feed_ticks_total", labels), 1);
    assert.equal(await metric(deps.registry, "pipeline_feed_reconnects_total", labels), 1);
    assert.equal(
      await metric(deps.registry, "pipeline_feed_errors_total", { ...labels, kind: "closed" }),
      1,
    );
    const text = await deps.registry.metrics();
    assert.match(
      text,
      new RegExp(`pipeline_feed_last_message_age_seconds\\{source="${v.name}"\\} \\d`),
    );
  });
}

Deno.test("createCoinCapRestSource() emits the request latency histogram and every pipeline_feed_* metric", async () => {
  const api = startFakeCoinCap("k", T0);
  const deps = await withFeed({
    venue: api,
    source: (deps) => createCoinCapRestSource({ url: api.restUrl, apiKey: "k" }, deps),
  }, async ({ out }) => {
    await pollUntil("ticks", () => out.ticks.length === 2, FEED_WAIT);
  });
  for (const name of [...FEED_METRICS, "pipeline_feed_request_seconds"]) {
    assert.ok(deps.registry.getSingleMetric(name), `${name} registered`);
  }
  const text = await deps.registry.metrics();
  assert.match(text, /pipeline_feed_request_seconds_count\{source="coincap"\} 1/);
  assert.match(text, /pipeline_feed_ticks_total\{source="coincap"\} 2/);
});
