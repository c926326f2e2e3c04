// Markets overview: every symbol with its last price, change, sparkline, RSI, volume and alerts;
// sortable by any column; a row opens the symbol's chart. Live: prices, closed candles,
// indicators and alerts from the stream.
import { candles, getJson } from "./api.js";
import { el, replace, setText } from "./dom.js";
import { change, formatChange, formatPrice, formatVolume } from "./format.js";
import { on } from "./live.js";
import { drawSparkline, sparkline } from "./sparkline.js";

const SPARK_CANDLES = 60;

/**
 * @typedef {{ symbol: string, price: number|null, open: number|null, rsi: number|null,
 *   volume: number|null, alerts: number, closes: number[], last: number,
 *   cells: Record<string, HTMLElement>,
 *   spark: SVGSVGElement, row: HTMLElement }} Row
 */

const COLUMNS = [
  ["symbol", "Symbol"],
  ["price", "Last"],
  ["change", "Change"],
  ["spark", "Trend"],
  ["rsi", "RSI"],
  ["volume", "Volume"],
  ["alerts", "Alerts"],
];

/**
 * @param {URLSearchParams} params
 * @param {{role: string, intervals: string[], venue: string, store: boolean}} info
 */
export function overviewView(params, info) {
  const interval = info.intervals.includes(params.get("interval") ?? "")
    ? /** @type {string} */ (params.get("interval"))
    : info.intervals[0];
  /** @type {Map<string, Row>} */
  const rows = new Map();
  let sortKey = params.get("sort") ?? "symbol";
  let sortDir = params.get("dir") === "desc" ? -1 : 1;
  const tbody = el("tbody");
  const note = el("p", { class: "note", role: "status" }, "Loading…");
  const headers = COLUMNS.map(([key, label]) =>
    el(
      "th",
      { scope: "col", "data-key": key, "aria-sort": "none" },
      key === "spark" ? label : el("button", { type: "button", onclick: () => sortBy(key) }, label),
    )
  );
  const picker = el(
    "div",
    { class: "intervals", role: "group", "aria-label": "Interval" },
    ...info.intervals.map((iv) =>
      el("a", {
        href: `#/?interval=${encodeURIComponent(iv)}`,
        class: "chip",
        "aria-current": iv === interval ? "true" : null,
      }, iv)
    ),
  );
  const node = el(
    "section",
    { class: "overview", "aria-labelledby": "overview-title" },
    el("div", { class: "toolbar" }, el("h1", { id: "overview-title" }, "Markets"), picker),
    info.role === "ingest" ? ingestNote() : null,
    note,
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        { class: "markets", "data-interval": interval },
        el("thead", {}, el("tr", {}, ...headers)),
        tbody,
      ),
    ),
  );

  /** @param {string} key */
  function sortBy(key) {
    sortDir = sortKey === key ? -sortDir : 1;
    sortKey = key;
    resort();
  }

  function resort() {
    for (const th of headers) {
      th.setAttribute(
        "aria-sort",
        th.dataset.key === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none",
      );
    }
    const list = [...rows.values()].sort((a, b) => sortDir * compare(a, b, sortKey));
    for (const r of list) tbody.appendChild(r.row);
  }

  /** @param {string} symbol */
  function rowOf(symbol) {
    let r = rows.get(symbol);
    if (r) return r;
    const cells = Object.fromEntries(COLUMNS.map(([key]) => [key, el("td", { "data-col": key })]));
    const spark = sparkline([]);
    const href = `#/symbol/${encodeURIComponent(symbol)}?interval=${encodeURIComponent(interval)}`;
    replace(cells.symbol, el("a", { href }, symbol));
    cells.spark.appendChild(spark);
    const row = el("tr", { "data-symbol": symbol }, ...Object.values(cells));
    row.addEventListener("click", (e) => {
      if (!(/** @type {Element} */ (e.target)).closest("a")) location.hash = href;
    });
    r = {
      symbol,
      last: -Infinity,
      price: null,
      open: null,
      rsi: null,
      volume: null,
      alerts: 0,
      closes: [],
      cells,
      spark,
      row,
    };
    rows.set(symbol, r);
    tbody.appendChild(row);
    return r;
  }

  /** @param {Row} r */
  function render(r) {
    setText(r.cells.price, formatPrice(r.price));
    setText(r.cells.change, formatChange(r.open, r.price));
    const c = change(r.open, r.price);
    r.cells.change.dataset.sign = c === null ? "" : c > 0 ? "up" : c < 0 ? "down" : "";
    setText(r.cells.rsi, r.rsi === null ? "–" : r.rsi.toFixed(1));
    setText(r.cells.volume, formatVolume(r.volume));
    setText(r.cells.alerts, String(r.alerts));
    r.cells.alerts.dataset.open = r.alerts > 0 ? "yes" : "no";
    drawSparkline(r.spark, r.closes);
  }

  async function load() {
    const { symbols } = await getJson("/api/latest");
    for (const s of symbols) {
      const r = rowOf(s.symbol);
      r.price = s.price;
      r.open = s.candles[interval]?.open ?? null;
      r.volume = s.candles[interval]?.volume ?? null;
      r.rsi = s.indicators[interval]?.rsi ?? null;
      r.alerts = s.alerts;
      render(r);
    }
    setText(
      note,
      symbols.length
        ? `${symbols.length} symbols · change since the open of the last closed ${interval} candle`
        : "No symbols yet: waiting for ticks.",
    );
    resort();
    if (!info.store) return;
    await Promise.all([...rows.values()].map(async (r) => {
      const cs = await candles(r.symbol, interval, { limit: SPARK_CANDLES, venue: info.venue })
        .catch(() => []);
      r.closes = cs.map((/** @type {any} */ c) => c.close);
      r.last = cs.at(-1)?.window_start ?? -Infinity;
      render(r);
    }));
    node.dataset.loaded = "true";
  }

  const offs = [
    on("prices", (ps) => {
      for (const p of ps) {
        const r = rowOf(p.symbol);
        r.price = p.price;
        render(r);
      }
      resort();
    }),
    on("latest", ({ candles: cs, indicators: is }) => {
      for (const c of cs) {
        if (c.interval !== interval || c.venue !== info.venue) continue;
        const r = rowOf(c.symbol);
        r.open = c.open;
        r.volume = c.volume;
        // A newer window closed: its close extends the sparkline (a revision does not).
        if (c.window_start > r.last) {
          r.closes = [...r.closes, c.close].slice(-SPARK_CANDLES);
          r.last = c.window_start;
        }
        render(r);
      }
      for (const i of is) {
        if (i.interval !== interval || i.venue !== info.venue) continue;
        const r = rowOf(i.symbol);
        r.rsi = i.rsi;
        render(r);
      }
    }),
    on("alerts", (as) => {
      for (const a of as) {
        if (a.venue !== info.venue) continue;
        const r = rowOf(a.symbol);
        r.alerts++;
        render(r);
      }
    }),
    on("reset", () => void load()),
  ];
  load().catch((err) => setText(note, `Cannot load the markets: ${err.message}`));
  return { node, dispose: () => offs.forEach((off) => off()) };
}

/**
 * @param {Row} a
 * @param {Row} b
 * @param {string} key
 */
function compare(a, b, key) {
  if (key === "symbol") return a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0;
  const v = (/** @type {Row} */ r) =>
    key === "change"
      ? change(r.open, r.price)
      : /** @type {number|null} */ (/** @type {any} */ (r)[key]);
  const x = v(a);
  const y = v(b);
  if (x === null || !Number.isFinite(x)) return y === null || !Number.isFinite(y) ? 0 : 1;
  if (y === null || !Number.isFinite(y)) return -1;
  return x - y;
}

export function ingestNote() {
  return el(
    "p",
    { class: "note warn", role: "note" },
    "This instance runs the ingest role: it reads the feeds into Kafka and keeps no candles, indicators or alerts. ",
    el("a", { href: "#/health" }, "Feed health"),
    " is shown here; the markets are on the process instances' dashboards.",
  );
}
