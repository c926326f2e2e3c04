// Pipeline health, from the stream's `health` summaries (src/http/health_summary.ts): rates come
// from two summaries in a row. Every role shows what it has; an ingest instance has feeds only.
import { getJson } from "./api.js";
import { el, replace, setText } from "./dom.js";
import { formatTime } from "./format.js";
import { on, streamSymbols } from "./live.js";
import { utc } from "./prefs.js";

/** @param {{role: string, intervals: string[], store: boolean}} info */
export function healthView(info) {
  /** @type {any} */
  let prev = null;
  const updated = el(
    "p",
    { class: "note", role: "status" },
    "Waiting for the first health update…",
  );
  const sections = {
    feeds: el("div"),
    mailboxes: el("div"),
    deadLetters: el("div"),
    sinks: el("div"),
    kafka: el("div"),
    recent: el("div"),
  };
  const node = el(
    "section",
    { class: "health-view" },
    el(
      "div",
      { class: "toolbar" },
      el("h1", {}, "Pipeline health"),
      el("span", { class: "chip" }, `role ${info.role}`),
    ),
    updated,
    el(
      "div",
      { class: "cards" },
      // Six columns: the whole row, so they fit a laptop's width without scrolling.
      card("Feeds", sections.feeds, "wide"),
      card("Mailbox pressure", sections.mailboxes),
      card("Dead letters by reason", sections.deadLetters),
      card("Store writes", sections.sinks),
      card("Kafka consumer lag", sections.kafka),
      card("Recent dead letters", sections.recent),
    ),
  );

  /** @param {any} h */
  function render(h) {
    const dt = prev ? (h.ts - prev.ts) / 1000 : 0;
    const rate = (/** @type {any[]} */ list, /** @type {any} */ s) => {
      const before = list?.find((p) => sameLabels(p.labels, s.labels));
      return dt > 0 && before ? ((s.value - before.value) / dt).toFixed(1) : "–";
    };
    const age = new Map(h.feedAge.map((/** @type {any} */ s) => [s.labels.source, s.value]));
    const reconnects = new Map(
      h.feedReconnects.map((/** @type {any} */ s) => [s.labels.source, s.value]),
    );
    replace(
      sections.feeds,
      h.feedTicks.length === 0 ? el("p", { class: "note" }, "No feeds in this role.") : table(
        ["Source", "Ticks/s", "Ticks", "Last message", "Reconnects", "State"],
        h.feedTicks.map((/** @type {any} */ s) => {
          const a = age.get(s.labels.source);
          // No age: not a connection this instance watches (a simulator or replay, or ticks that
          // come through Kafka from an ingest instance), so there is no state to show.
          const state = a === undefined ? "n/a" : a < 30 ? "connected" : "stale";
          return [
            s.labels.source,
            rate(prev?.feedTicks, s),
            s.value,
            a === undefined ? "–" : `${a.toFixed(1)} s ago`,
            reconnects.get(s.labels.source) ?? 0,
            a === undefined
              ? el("span", { class: "badge", title: "not a network feed of this instance" }, state)
              : el("span", { class: `badge ${state}` }, state),
          ];
        }),
      ),
    );
    replace(
      sections.mailboxes,
      table(
        ["Stage", "Queued", "Pressure"],
        h.mailboxes.map((/** @type {any} */ m) => [
          m.actor,
          `${m.size} / ${m.capacity || "∞"}`,
          el("meter", {
            min: 0,
            max: 1,
            low: 0.5,
            high: 0.8,
            optimum: 0,
            value: m.capacity ? m.size / m.capacity : 0,
          }),
        ]),
      ),
    );
    replace(
      sections.deadLetters,
      h.deadLetters.length === 0 ? el("p", { class: "note" }, "None.") : table(
        ["Reason", "Count", "Per second"],
        h.deadLetters.map((
          /** @type {any} */ s,
        ) => [s.labels.reason, s.value, rate(prev?.deadLetters, s)]),
      ),
    );
    const errors = (/** @type {string} */ sink) =>
      h.sinkErrors.filter((/** @type {any} */ e) => e.labels.sink === sink).reduce(
        (n, /** @type {any} */ e) => n + e.value,
        0,
      );
    replace(
      sections.sinks,
      h.sinkWrites.length === 0 ? el("p", { class: "note" }, "No stores in this role.") : table(
        ["Store", "Writes/s", "Mean write", "Errors"],
        h.sinkWrites.map((/** @type {any} */ s) => {
          const p = prev?.sinkWrites.find((/** @type {any} */ x) => x.sink === s.sink);
          const n = p ? s.count - p.count : 0;
          const mean = n > 0 ? `${(((s.seconds - p.seconds) / n) * 1000).toFixed(2)} ms` : "–";
          return [s.sink, dt > 0 && p ? (n / dt).toFixed(1) : "–", mean, errors(s.sink)];
        }),
      ),
    );
    replace(
      sections.kafka,
      h.kafkaLag.length === 0
        ? el("p", { class: "note" }, "Not in Kafka mode (or no partitions assigned).")
        : table(
          ["Topic", "Partition", "Lag"],
          h.kafkaLag.map((/** @type {any} */ s) => [s.labels.topic, s.labels.partition, s.value]),
        ),
    );
    renderDead(h.recentDeadLetters ?? []);
    setText(updated, `Updated ${formatTime(h.ts, utc())}`);
    node.dataset.loaded = "true";
    prev = h;
  }

  /** @param {any[]} dead newest first */
  function renderDead(dead) {
    replace(
      sections.recent,
      dead.length === 0 ? el("p", { class: "note" }, "None.") : el(
        "ol",
        { class: "dead-letters" },
        ...dead.map((d) =>
          el(
            "li",
            {},
            el("div", {}, el("span", { class: "badge" }, d.reason), " ", formatTime(d.ts, utc())),
            el("div", { class: "note" }, d.source, " · ", d.detail),
            el("code", {}, d.raw),
          )
        ),
      ),
    );
  }

  const offs = [on("health", render)];
  void streamSymbols([], { health: true });
  getJson("/api/health").then(render).catch(() => {});
  return { node, dispose: () => offs.forEach((off) => off()) };
}

/**
 * @param {string} title
 * @param {HTMLElement} body
 * @param {string} [kind] "wide": the card takes a whole row of the grid
 */
function card(title, body, kind = "") {
  return el("section", { class: `card ${kind}`.trim() }, el("h2", {}, title), body);
}

/**
 * @param {string[]} head
 * @param {Array<Array<Node|string|number>>} rows
 */
function table(head, rows) {
  return el(
    "table",
    {},
    el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((v) => el("td", {}, v))))),
  );
}

/**
 * @param {Record<string, unknown>} a
 * @param {Record<string, unknown>} b
 */
function sameLabels(a, b) {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
