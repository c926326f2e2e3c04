// Alerts: the latest alerts from the store, then live ones as they are raised; filters by
// severity, rule and symbol; each links to its bar on the symbol's chart.
import { getJson } from "./api.js";
import { el, replace, setText } from "./dom.js";
import { formatPrice, formatTime } from "./format.js";
import { on } from "./live.js";
import { utc, watchPrefs } from "./prefs.js";
import { ingestNote } from "./overview.js";

const KEEP = 1000;
const SEVERITIES = ["critical", "warning", "info"];
const RULES = ["price_spike", "volume_spike", "band_breakout", "feed_stale", "source_divergence"];

/**
 * @param {URLSearchParams} params
 * @param {{role: string, intervals: string[], venue: string, venues: string[], store: boolean}} info
 */
export function alertsView(params, info) {
  /** @type {any[]} */
  let alerts = [];
  // Alerts of one analytics venue at a time, as the API serves them; the composite's include the
  // tick rules' (feed_stale, source_divergence), which compare the venues.
  const venueChoice = params.get("venue");
  const venues = info.venues ?? [info.venue];
  const venue = /** @type {HTMLSelectElement} */ (el(
    "select",
    { "aria-label": "Venue" },
    ...venues.map((v) =>
      el("option", { value: v, selected: v === (venueChoice ?? info.venue) }, `Venue: ${v}`)
    ),
  ));
  const severity = select("Severity", SEVERITIES, params.get("severity"));
  const rule = select("Rule", RULES, params.get("rule"));
  const symbol = el("input", {
    type: "search",
    placeholder: "Symbol",
    "aria-label": "Symbol filter",
    value: params.get("symbol") ?? "",
  });
  const tbody = el("tbody");
  const note = el("p", { class: "note", role: "status" }, "Loading…");
  const node = el(
    "section",
    { class: "alerts-view" },
    el(
      "div",
      { class: "toolbar" },
      el("h1", {}, "Alerts"),
      el("div", { class: "filters" }, el("label", {}, venue), severity.label, rule.label, symbol),
    ),
    info.role === "ingest" ? ingestNote() : null,
    note,
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        { class: "alerts" },
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            ...["Time", "Severity", "Rule", "Symbol", "Value", "Threshold", "Message"].map((h) =>
              el("th", { scope: "col" }, h)
            ),
          ),
        ),
        tbody,
      ),
    ),
  );

  function render() {
    const sev = severity.input.value;
    const ru = rule.input.value;
    const sym = /** @type {HTMLInputElement} */ (symbol).value.trim().toUpperCase();
    const shown = alerts.filter((a) =>
      (!sev || a.severity === sev) && (!ru || a.rule === ru) &&
      (!sym || String(a.symbol).toUpperCase().includes(sym))
    );
    replace(tbody, ...shown.map(row));
    setText(note, `${shown.length} of ${alerts.length} alerts`);
  }

  /** @param {any} a */
  function row(a) {
    const iv = info.intervals.includes(a.interval) ? a.interval : info.intervals[0];
    const href = `#/symbol/${encodeURIComponent(a.symbol)}?interval=${
      encodeURIComponent(iv)
    }&at=${a.window_start}`;
    return el(
      "tr",
      { "data-severity": a.severity, "data-id": a.id },
      el("td", {}, el("a", { href, title: "Show the bar" }, formatTime(a.window_start, utc()))),
      el("td", {}, el("span", { class: `badge ${a.severity}` }, a.severity)),
      el("td", {}, a.rule),
      el("td", {}, el("a", { href }, a.symbol)),
      el("td", { class: "num" }, formatPrice(a.value)),
      el("td", { class: "num" }, formatPrice(a.threshold)),
      el("td", { class: "message" }, a.message),
    );
  }

  async function load() {
    if (!info.store) {
      setText(note, "No store to read past alerts from: alerts appear here as they are raised.");
      return;
    }
    const v = encodeURIComponent(venue.value);
    alerts = (await getJson(`/api/alerts?limit=${KEEP}&venue=${v}`)).alerts;
    render();
    node.dataset.loaded = "true";
  }

  for (const input of [severity.input, rule.input, symbol]) input.addEventListener("input", render);
  venue.addEventListener("input", () => void load());
  const offs = [
    on("alerts", (as) => {
      const known = new Set(alerts.map((a) => a.id));
      const fresh = as.filter((/** @type {any} */ a) =>
        a.venue === venue.value && !known.has(a.id)
      );
      alerts = [...fresh.reverse(), ...alerts]
        .slice(0, KEEP);
      render();
    }),
    on("reset", () => void load()),
    watchPrefs(render),
  ];
  load().catch((err) => setText(note, `Cannot load the alerts: ${err.message}`));
  return { node, dispose: () => offs.forEach((off) => off()) };
}

/**
 * A labelled select with an "all" option.
 * @param {string} label
 * @param {string[]} options
 * @param {string|null} chosen
 */
function select(label, options, chosen) {
  const input = /** @type {HTMLSelectElement} */ (el(
    "select",
    { "aria-label": label },
    el("option", { value: "" }, `${label}: all`),
    ...options.map((o) => el("option", { value: o, selected: o === chosen }, o)),
  ));
  return { input, label: el("label", {}, input) };
}
