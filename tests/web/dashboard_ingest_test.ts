/**
 * The dashboard of an `ingest` instance (feeds into Kafka, no candles, no store) in Chromium: every
 * page says what it cannot show and shows feed health, with no console errors. The HTTP server is
 * started as an ingest instance starts it (role `ingest`, no read API), without Kafka.
 */
import assert from "node:assert/strict";
import { healthSummary } from "../../src/http/health_summary.ts";
import { startHttpServer } from "../../src/http/http_server.ts";
import { LatestView } from "../../src/http/latest_view.ts";
import { SseHub } from "../../src/http/sse_hub.ts";
import { counter, createRegistry } from "../../src/telemetry/metrics.ts";
import { launchChromium, requireChromium, screenshotDir, watchedPage } from "../helpers/browser.ts";
import { pollUntil } from "../helpers/services.ts";

Deno.test({
  name: "dashboard: an ingest instance's pages degrade clearly and show feed health",
  ignore: !(await requireChromium()),
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const registry = createRegistry();
  counter(registry, {
    name: "pipeline_feed_ticks_total",
    help: "ticks",
    labelNames: ["source"],
  }).inc({ source: "coinbase" }, 42);
  const hub = new SseHub();
  const http = await startHttpServer({
    hostname: "127.0.0.1",
    port: 0,
    registry,
    latest: new LatestView(),
    read: null,
    intervals: ["1m"],
    role: "ingest",
    stream: hub,
    healthSummary: () => healthSummary(registry, { role: "ingest", now: Date.now() }),
    health: () => ({ ok: true }),
    ready: () => true,
  });
  const shots = await screenshotDir("dashboard-ingest-screens");
  const browser = await launchChromium();
  try {
    const w = await watchedPage(browser);
    const base = `http://127.0.0.1:${http.port}`;
    for (const [hash, name] of [["#/", "overview"], ["#/symbol/BTC-USD", "symbol"]]) {
      await w.page.goto(`${base}/${hash}`);
      await pollUntil(`the ${name} page's ingest note`, async () => {
        const text = await w.page.$eval("main", (m) => m.textContent ?? "");
        return text.includes("runs the ingest role") ? text : null;
      });
      await w.page.screenshot({ path: `${shots}/${name}.png` });
    }
    await w.page.goto(`${base}/#/health`);
    const feeds = await pollUntil("feed health", async () => {
      const rows = await w.page.$$eval(".card tbody tr", (trs) => trs.map((r) => r.textContent));
      return rows.find((r) => r?.startsWith("coinbase"));
    });
    assert.match(feeds, /coinbase.*42/);
    assert.match(
      await w.page.$eval("main", (m) => m.textContent ?? ""),
      /No stores in this role/,
    );
    await w.page.screenshot({ path: `${shots}/health.png` });
    assert.deepEqual(w.errors, []);
  } finally {
    await browser.close();
    await http.close();
  }
});
