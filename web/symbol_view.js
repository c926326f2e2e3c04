// Symbol view: the chart of one symbol and interval, loaded from the read API and kept live from
// the stream (closed candles, late revisions, the in-progress candle, alerts). Scrolling left
// loads older pages. `window.dashboardChart` exposes what is drawn, read through the chart
// library's API (the browser tests compare it with /api/candles).
import { candles as fetchCandles, getJson } from "./api.js";
import { CandleBook, intervalMs } from "./candle_book.js";
import { applyTheme, buildChart } from "./chart_setup.js";
import { el, setText } from "./dom.js";
import { formatPrice, formatTime, formatVolume } from "./format.js";
import { bollinger, ema, PERIODS, rsi } from "./indicators.js";
import { on, streamSymbols } from "./live.js";
import { utc, watchPrefs } from "./prefs.js";
import { ingestNote } from "./overview.js";

const PAGE = 500;

/**
 * @param {string} symbol
 * @param {URLSearchParams} params
 * @param {{role: string, intervals: string[], venue: string, store: boolean}} info
 */
export function symbolView(symbol, params, info) {
  const asked = params.get("interval") ?? "";
  const interval = info.intervals.includes(asked) ? asked : info.intervals[0];
  const ivMs = intervalMs(interval);
  // The venue the indicators and alerts run on (the composite unless configured otherwise).
  const venue = info.venue;
  const at = Number(params.get("at") ?? NaN);
  const book = new CandleBook();
  /** @type {any[]} */
  const alerts = [];
  const readout = el("div", { class: "readout", "aria-live": "off" });
  const status = el("p", { class: "note", role: "status" }, "Loading…");
  const chartBox = el("div", {
    class: "chart",
    tabindex: "0",
    role: "img",
    "aria-label": `${symbol} ${interval} candlestick chart; arrow keys scroll, + and − zoom`,
  });
  const node = el(
    "section",
    { class: "symbol-view" },
    el(
      "div",
      { class: "toolbar" },
      el("h1", {}, el("a", { href: "#/", "aria-label": "Back to markets" }, "←"), " ", symbol),
      el("span", { class: "chip", title: "The venue whose candles are charted" }, venue),
      el(
        "div",
        { class: "intervals", role: "group", "aria-label": "Interval" },
        ...info.intervals.map((iv) =>
          el("a", {
            href: `#/symbol/${encodeURIComponent(symbol)}?interval=${encodeURIComponent(iv)}`,
            class: "chip",
            "aria-current": iv === interval ? "true" : null,
          }, iv)
        ),
      ),
      el(
        "span",
        { class: "legend" },
        el("span", { class: "key ema-fast" }, `EMA ${PERIODS.emaFast}`),
        el("span", { class: "key ema-slow" }, `EMA ${PERIODS.emaSlow}`),
        el("span", { class: "key band" }, `BB ${PERIODS.bollinger}, ${PERIODS.bollingerMult}σ`),
        el("span", { class: "key rsi" }, `RSI ${PERIODS.rsi}`),
      ),
    ),
    info.role === "ingest" ? ingestNote() : null,
    readout,
    chartBox,
    status,
  );
  const c = buildChart(chartBox);
  let loadingOlder = false;
  let exhausted = false;

  function drawAll() {
    const bars = book.bars();
    c.candles.setData(bars.map(toBar));
    c.volume.setData(bars.map(toVolume));
    drawIndicators();
    drawMarkers();
    node.dataset.bars = String(bars.length);
  }

  /** @param {"none"|"tail"|"all"} change */
  function redraw(change) {
    const partial = book.partial();
    const newest = book.newestClosed();
    if (change === "none") return;
    if (change === "tail" && newest !== null && (!partial || partial.window_start < newest)) {
      const last = book.closed()[book.closed().length - 1];
      c.candles.update(toBar(last));
      c.volume.update(toVolume(last));
      drawIndicators();
      drawMarkers();
      node.dataset.bars = String(book.bars().length);
    } else drawAll();
  }

  function drawIndicators() {
    const closed = book.closed();
    const t = closed.map((k) => /** @type {any} */ (k.window_start / 1000));
    const closes = closed.map((k) => k.close);
    const line = (/** @type {(number|null)[]} */ vs) =>
      vs.flatMap((v, i) => (v === null ? [] : [{ time: t[i], value: v }]));
    c.emaFast.setData(line(ema(closes, PERIODS.emaFast)));
    c.emaSlow.setData(line(ema(closes, PERIODS.emaSlow)));
    const bb = bollinger(closes, PERIODS.bollinger, PERIODS.bollingerMult);
    c.bbUpper.setData(line(bb.map((b) => b.upper)));
    c.bbMiddle.setData(line(bb.map((b) => b.middle)));
    c.bbLower.setData(line(bb.map((b) => b.lower)));
    c.rsi.setData(line(rsi(closes, PERIODS.rsi)));
  }

  function drawMarkers() {
    const times = new Set(book.bars().map((b) => b.window_start));
    const seen = new Set();
    const markers = [];
    for (const a of alerts) {
      const bar = Math.floor(a.window_start / ivMs) * ivMs;
      if (!times.has(bar) || seen.has(a.id)) continue;
      seen.add(a.id);
      markers.push({
        time: /** @type {any} */ (bar / 1000),
        position: "aboveBar",
        shape: a.severity === "critical" ? "arrowDown" : "circle",
        color: a.severity === "critical"
          ? "#e53935"
          : a.severity === "warning"
          ? "#fb8c00"
          : "#1e88e5",
        text: a.rule,
        id: a.id,
      });
    }
    markers.sort((x, y) => x.time - y.time);
    c.markers.setMarkers(markers);
  }

  function showReadout(/** @type {any} */ bar) {
    if (!bar) return setText(readout, "");
    const v = book.bars().find((b) => b.window_start === bar.window_start);
    setText(
      readout,
      `${formatTime(bar.window_start, utc())}  O ${formatPrice(bar.open)}  H ${
        formatPrice(bar.high)
      }  L ${formatPrice(bar.low)}  C ${formatPrice(bar.close)}  V ${formatVolume(v?.volume)}${
        v?.version === 0
          ? `  (in progress, provisional${venue === "composite" ? ": every venue's ticks" : ""})`
          : ""
      }`,
    );
  }

  async function loadOlder() {
    const oldest = book.oldestClosed();
    if (loadingOlder || exhausted || oldest === null || !info.store) return;
    loadingOlder = true;
    try {
      const page = await fetchCandles(symbol, interval, { limit: PAGE, before: oldest, venue });
      if (page.length < PAGE) exhausted = true;
      const range = c.chart.timeScale().getVisibleLogicalRange();
      const before = book.bars().length;
      book.addClosed(page);
      drawAll();
      const added = book.bars().length - before;
      if (range && added > 0) {
        c.chart.timeScale().setVisibleLogicalRange({
          from: range.from + added,
          to: range.to + added,
        });
      }
      setText(
        status,
        `${book.closed().length} candles loaded${exhausted ? " (all the store holds)" : ""}`,
      );
    } finally {
      loadingOlder = false;
    }
  }

  async function load() {
    if (!info.store) {
      setText(
        status,
        "This instance has no store to read candles from; live candles appear as windows close.",
      );
      return;
    }
    const [page, recent] = await Promise.all([
      fetchCandles(symbol, interval, { limit: PAGE, venue }),
      getJson(`/api/alerts?limit=1000&venue=${encodeURIComponent(venue)}`)
        .catch(() => ({ alerts: [] })),
    ]);
    exhausted = page.length < PAGE;
    alerts.push(...recent.alerts.filter((/** @type {any} */ a) => a.symbol === symbol));
    book.addClosed(page);
    // A link to a bar (from the alerts feed) loads back until that bar is drawn.
    for (
      let i = 0;
      Number.isFinite(at) && !exhausted && (book.oldestClosed() ?? 0) > at && i < 20;
      i++
    ) {
      exhausted = true;
      const older = await fetchCandles(symbol, interval, {
        venue,
        limit: PAGE,
        before: book.oldestClosed() ?? undefined,
      });
      exhausted = older.length < PAGE;
      book.addClosed(older);
    }
    drawAll();
    if (Number.isFinite(at)) {
      const t = Math.floor(at / ivMs) * ivMs / 1000;
      c.chart.timeScale().setVisibleRange({
        from: /** @type {any} */ (t - 40 * ivMs / 1000),
        to: /** @type {any} */ (t + 40 * ivMs / 1000),
      });
      c.chart.setCrosshairPosition(
        book.closed().find((b) => b.window_start === t * 1000)?.high ?? 0,
        /** @type {any} */ (t),
        c.candles,
      );
    }
    setText(
      status,
      `${book.closed().length} candles loaded${exhausted ? " (all the store holds)" : ""}`,
    );
    showReadout(book.bars().at(-1));
    node.dataset.loaded = "true";
  }

  c.chart.subscribeCrosshairMove((param) => {
    const bar = param.time === undefined
      ? undefined
      : /** @type {any} */ (param.seriesData.get(c.candles));
    showReadout(bar ? { ...bar, window_start: Number(param.time) * 1000 } : book.bars().at(-1));
  });
  c.chart.timeScale().subscribeVisibleLogicalRangeChange((range) => {
    if (range && range.from < 10) void loadOlder();
  });
  chartBox.addEventListener("keydown", (e) => {
    const ts = c.chart.timeScale();
    const r = ts.getVisibleLogicalRange();
    if (!r) return;
    const width = r.to - r.from;
    const step = Math.max(1, Math.round(width / 10));
    const moves = /** @type {Record<string, [number, number]>} */ ({
      ArrowLeft: [-step, -step],
      ArrowRight: [step, step],
      "+": [width / 4, -width / 4],
      "=": [width / 4, -width / 4],
      "-": [-width / 2, width / 2],
    });
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    ts.setVisibleLogicalRange({ from: r.from + m[0], to: r.to + m[1] });
  });

  const offs = [
    on(
      "candles",
      (cs) =>
        redraw(
          book.addClosed(
            cs.filter((/** @type {any} */ k) =>
              k.venue === venue && k.symbol === symbol && k.interval === interval
            ),
          ),
        ),
    ),
    on("partial", (ps) => {
      const p = ps.find((/** @type {any} */ k) => k.symbol === symbol && k.interval === interval);
      if (p && book.setPartial(p)) {
        c.candles.update(toBar(p));
        c.volume.update(toVolume(p));
        node.dataset.bars = String(book.bars().length);
      }
    }),
    on("alerts", (as) => {
      const mine = as.filter((/** @type {any} */ a) => a.symbol === symbol && a.venue === venue);
      if (!mine.length) return;
      alerts.push(...mine);
      drawMarkers();
    }),
    on("reset", () => void load()),
    watchPrefs(() => {
      applyTheme(c);
      c.chart.applyOptions({});
      showReadout(book.bars().at(-1));
    }),
  ];
  /** What is drawn, for tests: the chart library's own data. */
  const probe = {
    candles: () => c.candles.data().map((b) => ({ ...b })),
    volume: () => c.volume.data().map((b) => ({ ...b })),
    markers: () => c.markers.markers().map((m) => ({ ...m })),
    symbol,
    interval,
  };
  /** @type {any} */ (globalThis).dashboardChart = probe;
  // This symbol's candle events first, then the history: nothing closes unseen in between.
  streamSymbols([symbol]).then(load)
    .catch((err) => setText(status, `Cannot load ${symbol}: ${err.message}`));
  return {
    node,
    dispose: () => {
      offs.forEach((off) => off());
      c.chart.remove();
      if (/** @type {any} */ (globalThis).dashboardChart === probe) {
        delete (/** @type {any} */ (globalThis)).dashboardChart;
      }
    },
  };
}

/**
 * A candle as the chart draws it. The in-progress candle (version 0) is drawn hollow and grey:
 * it is a preview from the ticks seen so far, and for the composite an approximation (built from
 * every venue's ticks, while the composite candle combines the venues' closed candles), replaced
 * by the stored candle when its window closes.
 * @param {import("./candle_book.js").CandleLike} k
 */
function toBar(k) {
  const bar = {
    time: /** @type {any} */ (k.window_start / 1000),
    open: k.open,
    high: k.high,
    low: k.low,
    close: k.close,
  };
  return k.version === 0 ? { ...bar, ...PROVISIONAL } : bar;
}

const PROVISIONAL = {
  color: "rgba(128,128,128,0.15)",
  borderColor: "rgba(128,128,128,0.9)",
  wickColor: "rgba(128,128,128,0.9)",
};

/** @param {import("./candle_book.js").CandleLike} k */
function toVolume(k) {
  return {
    time: /** @type {any} */ (k.window_start / 1000),
    value: k.volume,
    color: k.close >= k.open ? "rgba(38,166,154,0.45)" : "rgba(239,83,80,0.45)",
  };
}
