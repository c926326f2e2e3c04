// The dashboard's routes on the real HTTP/1.1 server: the page and its files with their policy,
// the event stream chunked to a client and its slot freed when the client leaves, the cap, and
// `/api/candles?before=`.
import assert from "node:assert/strict";
import { startHttpServer } from "../../src/http/http_server.ts";
import { LatestView } from "../../src/http/latest_view.ts";
import { SseHub } from "../../src/http/sse_hub.ts";
import { HEALTH_TOPIC } from "../../src/http/market_stream.ts";
import type { CandlesQuery } from "../../src/connectors/read_api.ts";
import { createRegistry } from "../../src/telemetry/metrics.ts";
import { pollUntil } from "../helpers/services.ts";

async function server(queries: CandlesQuery[] = []) {
  const hub = new SseHub({ maxClients: 1 });
  const http = await startHttpServer({
    hostname: "127.0.0.1",
    port: 0,
    registry: createRegistry(),
    latest: new LatestView(),
    read: {
      candles: (q) => {
        queries.push(q);
        return [];
      },
      alerts: () => [],
      predictions: () => [],
      symbols: () => [],
    },
    intervals: ["1m", "5m"],
    role: "process",
    stream: hub,
    health: () => ({ ok: true }),
    ready: () => true,
  });
  return { hub, http, base: `http://127.0.0.1:${http.port}` };
}

Deno.test("dashboard routes: the page, its files and /api/info", async () => {
  const { http, base } = await server();
  try {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy")!, /script-src 'self'/);
    assert.match(await page.text(), /<script type="module" src="\/assets\/app.js"><\/script>/);
    const etag = page.headers.get("etag")!;
    const again = await fetch(`${base}/`, { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
    await again.body?.cancel();
    const lib = await fetch(`${base}/assets/vendor/lightweight-charts.mjs`);
    assert.equal(lib.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.match(await lib.text(), /createChart/);
    const missing = await fetch(`${base}/assets/../deno.json`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    assert.deepEqual(await (await fetch(`${base}/api/info`)).json(), {
      role: "process",
      intervals: ["1m", "5m"],
      venue: "composite",
      venues: ["composite"],
      store: true,
      stream: true,
    });
  } finally {
    await http.close();
  }
});

Deno.test("dashboard routes: events stream over HTTP/1.1; a departed client frees its slot", async () => {
  const { hub, http, base } = await server();
  try {
    const res = await fetch(`${base}/api/stream`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = res.body!.getReader();
    await pollUntil("the client registered", () => hub.clients === 1);
    const bad = await fetch(`${base}/api/stream?symbols=BTC-USD,<img>`);
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /symbols must be/);
    const refused = await fetch(`${base}/api/stream?symbols=BTC-USD`);
    assert.equal(refused.status, 503, "over the cap of 1");
    await refused.body?.cancel();
    hub.publish("alerts", [{ symbol: "<b>X</b>-USD" }]);
    let text = "";
    while (!text.includes("event: alerts")) {
      text += new TextDecoder().decode((await reader.read()).value);
    }
    assert.match(text, /data: \[\{"symbol":"<b>X<\/b>-USD"\}\]/);
    await reader.cancel();
    await pollUntil("the slot freed", () => hub.clients === 0);
    const next = await fetch(`${base}/api/stream`);
    assert.equal(next.status, 200);
    await next.body?.cancel();
  } finally {
    await http.close();
  }
});

Deno.test("dashboard routes: /api/candles?before= pages back; a bad value is refused", async () => {
  const queries: CandlesQuery[] = [];
  const { http, base } = await server(queries);
  try {
    const ok = await fetch(`${base}/api/candles?symbol=BTC-USD&interval=5m&limit=3&before=1000`);
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    assert.deepEqual(queries, [{
      venue: "composite",
      symbol: "BTC-USD",
      interval: "5m",
      limit: 3,
      before: 1000,
    }]);
    const bad = await fetch(`${base}/api/candles?symbol=BTC-USD&before=-5`);
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /before must be one decimal integer/);
  } finally {
    await http.close();
  }
});

Deno.test("dashboard routes: health=1 adds the health topic to a stream of symbols", async () => {
  const { hub, http, base } = await server();
  try {
    for (const [query, wantsHealth] of [["symbols=BTC-USD&health=1", true], ["symbols=", false]]) {
      const res = await fetch(`${base}/api/stream?${query}`);
      await pollUntil("the client registered", () => hub.clients === 1);
      assert.equal(hub.wants(HEALTH_TOPIC), wantsHealth, query as string);
      await res.body!.cancel();
      await pollUntil("the slot freed", () => hub.clients === 0);
    }
  } finally {
    await http.close();
  }
});
