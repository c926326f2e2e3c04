// The live stream (/api/stream, Server-Sent Events): one EventSource for the page; views subscribe
// to event types. The browser resumes after a reconnect with Last-Event-ID; when the server could
// not resume (its ring no longer holds the events) it sends `reset`, and views reload.

/** @typedef {(data: any) => void} Listener */

const TYPES = [
  "candles",
  "partial",
  "indicators",
  "alerts",
  "deadletters",
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

/**
 * Opens the stream (once).
 * @param {boolean} enabled false when the instance has no live stream
 */
export function startLive(enabled) {
  if (!enabled) return setState("off");
  if (source) return;
  source = new EventSource("/api/stream");
  source.addEventListener("open", () => setState("live"));
  source.addEventListener(
    "error",
    () => setState(source?.readyState === 2 ? "closed" : "reconnecting"),
  );
  for (const type of TYPES) {
    source.addEventListener(type, (e) => {
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
