/**
 * The dashboard in Chromium against a simulator run (the seeded simulator paced at real time,
 * after a short warm-up of simulated history): the overview lists every simulated symbol, the
 * chart's closed candles are the store's over the drawn range, a new candle appears live, and
 * the health page fits a laptop's width. Screenshots go to a temporary directory, logged at the
 * start.
 */
import assert from "node:assert/strict";
import { DEFAULT_SIMULATED_SYMBOLS } from "../../src/feeds/simulator.ts";
import { launchChromium, requireChromium, screenshotDir, watchedPage } from "../helpers/browser.ts";
import { freePort, pollUntil } from "../helpers/services.ts";
import { startTestPipeline } from "../helpers/test_pipeline.ts";
import { chartCandles, closedBarsMatch, type Json, sameBar } from "./chart_probe.ts";

Deno.test({
  name: "dashboard: a simulator run in Chromium — every symbol, the stored candles, one more live",
  ignore: !(await requireChromium()),
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "dashboard-sim-test-" });
  const shots = await screenshotDir("dashboard-sim-screens");
  const browser = await launchChromium();
  const port = freePort();
  const pipeline = await startTestPipeline([
    "--source",
    "simulator",
    "--seed",
    "7",
    "--sim-rate",
    "4",
    "--sim-warmup",
    "2m",
    "--sim-silence",
    "0",
    "--intervals",
    "1s,5s",
    "--sqlite",
    `${dir}/pipeline.db`,
    "--store-ticks",
    "false",
    "--ui",
    "off",
    "--http",
    `127.0.0.1:${port}`,
  ]);
  const base = `http://127.0.0.1:${port}`;
  const api = async (path: string): Promise<Json> => {
    const res = await fetch(base + path);
    assert.equal(res.status, 200, path);
    return await res.json();
  };
  const simulated = DEFAULT_SIMULATED_SYMBOLS.map((s) => s.symbol).sort();
  const pages = [];
  try {
    // Every simulated symbol has a closed candle (the warm-up's windows close as live ticks
    // move the watermark on).
    await pollUntil("a closed candle of every simulated symbol", async () => {
      const latest: Json[] = (await api("/api/latest")).symbols;
      return latest.filter((s) => s.candles["1s"]).length === simulated.length;
    }, { timeoutMs: 30_000, intervalMs: 200 });

    const overview = await watchedPage(browser);
    pages.push(overview);
    await overview.page.goto(`${base}/`);
    await overview.page.waitForSelector(".overview[data-loaded]", { timeout: 15_000 });
    const rows = await overview.page.$$eval("tbody tr", (rs) => rs.map((r) => r.dataset.symbol));
    assert.deepEqual([...rows].sort(), simulated);
    await overview.page.screenshot({ path: `${shots}/overview.png` });

    const chart = await watchedPage(browser);
    pages.push(chart);
    await chart.page.goto(`${base}/#/symbol/ETH-USD?interval=1s`);
    await chart.page.waitForSelector(".symbol-view[data-loaded]", { timeout: 15_000 });
    const atLoad = await chartCandles(chart.page);
    // Two minutes of warm-up at 1 s: well over a hundred windows.
    assert.ok(atLoad.length >= 100, `history drawn: ${atLoad.length} bars`);
    const newestAtLoad = Math.max(...atLoad.map((b) => b.time));
    const candles = async (): Promise<Json[]> =>
      (await api("/api/candles?symbol=ETH-USD&interval=1s&limit=5000")).candles;

    // A window that closes while the page watches appears, equal to the stored candle.
    await pollUntil("a candle closed after the page loaded, drawn as stored", async () => {
      const drawn = new Map((await chartCandles(chart.page)).map((b) => [b.time * 1000, b]));
      return (await candles()).find((c) =>
        c.window_start / 1000 > newestAtLoad && sameBar(drawn.get(c.window_start), c)
      );
    }, { timeoutMs: 30_000, intervalMs: 100 });

    // Exactly the stored candles over the drawn range (the in-progress bar aside). The stream
    // runs ahead of the store's writes, and the simulator keeps closing windows: poll until one
    // reading of both agrees.
    await pollUntil("the chart to hold exactly the stored candles", async () => {
      const stored = await candles();
      return closedBarsMatch(await chartCandles(chart.page), stored);
    }, { timeoutMs: 20_000, intervalMs: 50 });
    await chart.page.screenshot({ path: `${shots}/symbol.png` });

    // The health page at laptop widths: nothing wider than its card, no page-wide scroll.
    for (const width of [1280, 1366]) {
      const health = await watchedPage(browser, { width, height: 800 });
      pages.push(health);
      await health.page.goto(`${base}/#/health`);
      await health.page.waitForSelector(".health-view[data-loaded]", { timeout: 15_000 });
      // Summaries keep coming live (the page asks for them: `health=1`).
      const updated = () => health.page.$eval(".health-view p[role=status]", (p) => p.textContent);
      const first = await updated();
      await pollUntil("a newer health summary", async () => (await updated()) !== first, {
        timeoutMs: 15_000,
        intervalMs: 200,
      });
      await health.page.screenshot({ path: `${shots}/health-${width}.png`, fullPage: true });
      const overflow = await health.page.$$eval(".card", (cards) =>
        cards
          .filter((c) => c.scrollWidth > c.clientWidth)
          .map((c) =>
            `${c.querySelector("h2")?.textContent}: ${c.scrollWidth} > ${c.clientWidth}`
          ));
      assert.deepEqual(overflow, [], `cards wider than their content box at ${width} px`);
      const page = await health.page.$eval("html", (h) => ({
        scroll: h.scrollWidth,
        width: h.clientWidth,
      }));
      assert.ok(page.scroll <= page.width, `page scrolls sideways at ${width} px`);
    }

    for (const p of pages) {
      assert.deepEqual(p.errors, [], "no console errors");
      assert.deepEqual(p.dialogs, [], "no dialog opened");
    }
  } finally {
    await browser.close();
    await pipeline.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
