// The live stream (/api/stream, Server-Sent Events): one EventSource for the page; views subscribe
// to event types. The browser resumes after a reconnect with Last-Event-ID; when the server could
// not resume (its ring no longer holds the events) it sends `reset`, and views reload. Candle
// events are per symbol: a page charting one symbol streams only that symbol's
// ({@link streamSymbols}); every page gets `latest`, alerts and prices; health summaries come
// only to a stream that asks for them (the health page).

/** @typedef {(data: any) => void} Listener */

const TYPES = [
  "candles",
  "partial",
  "indicators",
  "latest",
  "alerts",
  "prices",
  "health",
  "reset",
];

/** @type {Map<string, Set<Listener>>} */
const listeners = new Map(TYPES.map((t) => [t, new Set()]));
/** @type {Set<(state: string) => void>} */
const stateListeners = new Set();
/** @type {EventSource|null} */
let source = null;
let state = "connecting";
let enabled = false;
let url = "";
/** @type {Promise<void>} */
let opened = Promise.resolve();

/**
 * Opens the stream, with no symbol's candles yet.
 * @param {boolean} on false when the instance has no live stream
 */
export function startLive(on) {
  enabled = on;
  if (!on) return setState("off");
  void streamSymbols([]);
}

/**
 * Streams the candle events of `symbols`, and health summaries with `health` (reconnecting when
 * they change). Resolves once the stream is open (or failed): what a view loads after that, it
 * will not miss live.
 * @param {string[]} symbols
 * @param {{ health?: boolean }} [o]
 * @returns {Promise<void>}
 */
export function streamSymbols(symbols, o = {}) {
  if (!enabled) return Promise.resolve();
  const next = `/api/stream?symbols=${symbols.map(encodeURIComponent).join(",")}${
    o.health ? "&health=1" : ""
  }`;
  if (next === url && source) return opened;
  source?.close();
  url = next;
  setState("connecting");
  const es = new EventSource(next);
  source = es;
  opened = new Promise((resolve) => {
    es.addEventListener("open", () => resolve(), { once: true });
    es.addEventListener("error", () => resolve(), { once: true });
  });
  es.addEventListener("open", () => setState("live"));
  es.addEventListener(
    "error",
    () => setState(es.readyState === 2 ? "closed" : "reconnecting"),
  );
  for (const type of TYPES) {
    es.addEventListener(type, (e) => {
      const data = JSON.parse(/** @type {MessageEvent} */ (e).data);
      for (const fn of listeners.get(type) ?? []) {
        try {
          fn(data);
        } catch (err) {
          // One view's failure must not stop the others; it still surfaces as an error.
          reportError(err);
        }
      }
    });
  }
  return opened;
}

/**
 * Subscribes to one event type; returns the unsubscribe function.
 * @param {string} type
 * @param {Listener} fn
 * @returns {() => void}
 */
export function on(type, fn) {
  listeners.get(type)?.add(fn);
  return () => listeners.get(type)?.delete(fn);
}

/**
 * Follows the connection state: connecting, live, reconnecting, closed or off.
 * @param {(state: string) => void} fn
 */
export function onState(fn) {
  stateListeners.add(fn);
  fn(state);
}

/** @param {string} s */
function setState(s) {
  state = s;
  for (const fn of stateListeners) fn(s);
}
