/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a
 * deterministic replay in embedded mode: history written to SQLite first, then a live part
 * replayed in real time while the pages watch (tests/web/dashboard_replay.ts). Screenshots of
 * every page go to a temporary directory, logged at the start.
 */
import assert from "node:assert/strict";
import { launchChromium, requireChromium, screenshotDir, watchedPage } from "../helpers/browser.ts";
import { freePort, pollUntil } from "../helpers/services.ts";
import { chartCandles, chartMarkers, closedBarsMatch, type Json, sameBar } from "./chart_probe.ts";
import { runToEnd, startTestPipeline, writeReplayFile } from "../helpers/test_pipeline.ts";
import {
  DIVERGENCE_AT,
  historyLines,
  HOSTILE,
  HOSTILE_SYMBOL,
  LATE_PRICE,
  liveLines,
  REVISED_WINDOW,
  SYMBOLS,
  T0,
} from "./dashboard_replay.ts";

Deno.test({
  name: "dashboard: overview, live chart, late revision, alert marker and hostile text in Chromium",
  ignore: !(await requireChromium()),
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "dashboard-test-" });
  const shots = await screenshotDir("dashboard-screens");
  const db = `${dir}/pipeline.db`;
  const common = ["--sqlite", db, "--intervals", "1s,5s", "--ui", "off", "--store-ticks", "false"];
  // History first, into the store the live pipeline then serves.
  const history = await writeReplayFile(`${dir}/history.ndjson`, historyLines());
  await runToEnd(["--source", "replay", "--replay-file", history, "--http", "off", ...common]);

  const browser = await launchChromium();
  const port = freePort();
  const live = await writeReplayFile(`${dir}/live.ndjson`, liveLines());
  const pipeline = await startTestPipeline([
    "--source",
    "replay",
    "--replay-file",
    live,
    "--replay-speed",
    "1",
    "--http",
    `127.0.0.1:${port}`,
    ...common,
  ]);
  const base = `http://127.0.0.1:${port}`;
  const api = async (path: string): Promise<Json> => {
    const res = await fetch(base + path);
    assert.equal(res.status, 200, path);
    return await res.json();
  };
  const pages = [];
  try {
    // The symbol page first: it must be watching before the live part's windows close.
    const chart = await watchedPage(browser);
    pages.push(chart);
    await chart.page.goto(`${base}/#/symbol/BTC-USD?interval=1s`);
    await chart.page.waitForSelector(".symbol-view[data-loaded]", { timeout: 15_000 });
    const atLoad = await chartCandles(chart.page);
    assert.ok(atLoad.length >= 500, `history drawn: ${atLoad.length} bars`);
    const newestAtLoad = Math.max(...atLoad.map((b) => b.time));
    const markersAtLoad = new Set((await chartMarkers(chart.page)).map((m) => m.id));

    // A window that closes while the page watches appears, equal to the stored candle.
    const appeared = await pollUntil("a candle closed after the page loaded", async () => {
      const stored: Json[] = (await api("/api/candles?symbol=BTC-USD&interval=1s&limit=50"))
        .candles;
      const drawn = new Map((await chartCandles(chart.page)).map((b) => [b.time * 1000, b]));
      return stored.find((c) =>
        c.window_start / 1000 > newestAtLoad && c.window_start < REVISED_WINDOW &&
        sameBar(drawn.get(c.window_start), c)
      );
    }, { timeoutMs: 30_000, intervalMs: 100 });
    assert.ok(appeared.window_start >= T0);

    // The revised window: drawn first as closed, then redrawn with the late tick's price.
    const first = await pollUntil("the window to be revised, drawn as first closed", async () => {
      const bar = (await chartCandles(chart.page)).find((b) => b.time * 1000 === REVISED_WINDOW);
      const stored: Json[] = (await api("/api/candles?symbol=BTC-USD&interval=1s&limit=40"))
        .candles;
      const c = stored.find((s) => s.window_start === REVISED_WINDOW);
      return bar && c?.version === 1 && sameBar(bar, c) ? bar : null;
    }, { timeoutMs: 30_000, intervalMs: 50 });
    assert.ok(first.high < LATE_PRICE);
    const revised = await pollUntil("the late revision redrawn", async () => {
      const bar = (await chartCandles(chart.page)).find((b) => b.time * 1000 === REVISED_WINDOW);
      return bar && bar.high === LATE_PRICE ? bar : null;
    }, { timeoutMs: 20_000, intervalMs: 50 });
    // The stream runs ahead of the store's batched writes: the revision is stored soon after.
    const storedRevision = await pollUntil(
      "the revision stored",
      async () =>
        (await api("/api/candles?symbol=BTC-USD&interval=1s&limit=40")).candles
          .find((c: Json) => c.window_start === REVISED_WINDOW && c.version === 2),
    );
    assert.ok(sameBar(revised, storedRevision));

    // The divergence alert becomes a marker on its bar while the page watches.
    const alert = await pollUntil(
      "the source_divergence alert in the store",
      async () =>
        (await api("/api/alerts?limit=100")).alerts.find((a: Json) =>
          a.symbol === "BTC-USD" && a.rule === "source_divergence" && a.window_start >= T0
        ),
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    assert.ok(alert.window_start <= DIVERGENCE_AT);
    const marker = await pollUntil(
      "the alert's marker",
      async () => (await chartMarkers(chart.page)).find((m) => m.id === alert.id),
      {
        timeoutMs: 10_000,
        intervalMs: 50,
      },
    );
    assert.ok(!markersAtLoad.has(alert.id), "the marker arrived live");
    assert.equal(marker.time * 1000, Math.floor(alert.window_start / 1000) * 1000);

    // Exactly the stored candles over the drawn range (the in-progress bar aside).
    await pollUntil("the chart to hold exactly the stored candles", async () => {
      const stored: Json[] = (await api("/api/candles?symbol=BTC-USD&interval=1s&limit=5000"))
        .candles;
      return closedBarsMatch(await chartCandles(chart.page), stored);
    }, { timeoutMs: 10_000, intervalMs: 100 });
    await chart.page.screenshot({ path: `${shots}/symbol.png` });

    // The overview lists every symbol the pipeline knows, with the store's.
    const overview = await watchedPage(browser);
    pages.push(overview);
    await overview.page.goto(`${base}/`);
    await overview.page.waitForSelector(".overview[data-loaded]", { timeout: 15_000 });
    const listed = await overview.page.$$eval("tbody tr", (rows) => rows.map((r) => r.textContent));
    const latest: Json[] = (await api("/api/latest")).symbols;
    assert.deepEqual(
      (await overview.page.$$eval("tbody tr", (rows) => rows.map((r) => r.dataset.symbol))).sort(),
      latest.map((s) => s.symbol).sort(),
    );
    assert.deepEqual(latest.map((s) => s.symbol).sort(), [...SYMBOLS].sort());
    assert.equal(listed.length, SYMBOLS.length);
    await overview.page.screenshot({ path: `${shots}/overview.png` });
    const phone = await watchedPage(browser, { width: 390, height: 844 });
    pages.push(phone);
    await phone.page.goto(`${base}/`);
    await phone.page.waitForSelector(".overview[data-loaded]", { timeout: 15_000 });
    await phone.page.screenshot({ path: `${shots}/overview-phone.png` });

    // Hostile text from the replay shows as text and runs nothing.
    const health = await watchedPage(browser);
    pages.push(health);
    await health.page.goto(`${base}/#/health`);
    await pollUntil("the hostile symbol and source shown as text", async () => {
      const text = await health.page.$eval("main", (m) => m.textContent ?? "");
      return text.includes(HOSTILE_SYMBOL) && text.includes(HOSTILE);
    }, { timeoutMs: 10_000, intervalMs: 100 });
    assert.equal(await health.page.$$eval("main img", (imgs) => imgs.length), 0);
    // The recent dead letters are a list without markers (no stray "1.").
    const marked = await health.page.$$eval("main li", (items) =>
      // deno-lint-ignore no-explicit-any
      items.filter((li) => (globalThis as any).getComputedStyle(li).listStyleType !== "none")
        .length);
    assert.equal(marked, 0, "list items drawn with a marker");
    await health.page.screenshot({ path: `${shots}/health.png`, fullPage: true });

    const alerts = await watchedPage(browser);
    pages.push(alerts);
    await alerts.page.goto(`${base}/#/alerts`);
    await alerts.page.waitForSelector(".alerts-view[data-loaded]", { timeout: 15_000 });
    await alerts.page.screenshot({ path: `${shots}/alerts.png` });

    for (const p of pages) {
      assert.deepEqual(p.errors, [], "no console errors");
      assert.deepEqual(p.dialogs, [], "no dialog opened");
      assert.ok(!p.requests.some((u) => new URL(u).pathname === "/x"), "no image requested");
    }
  } finally {
    await browser.close();
    await pipeline.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
