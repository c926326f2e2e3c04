// The read API, as JSON. Errors carry the server's message.

/**
 * @param {string} path
 * @returns {Promise<any>}
 */
export async function getJson(path) {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `${path}: HTTP ${res.status}`);
  return body;
}

/**
 * Candles of one symbol and interval, oldest first.
 * @param {string} symbol
 * @param {string} interval
 * @param {{limit?: number, before?: number, venue?: string}} [o]
 * @returns {Promise<any[]>}
 */
export async function candles(symbol, interval, o = {}) {
  const q = new URLSearchParams({ symbol, interval, limit: String(o.limit ?? 500) });
  if (o.before !== undefined) q.set("before", String(o.before));
  if (o.venue !== undefined) q.set("venue", o.venue);
  return (await getJson(`/api/candles?${q}`)).candles;
}

/** @type {Promise<any>|null} */
let info = null;
/**
 * What this instance is: role, intervals, whether it has a store and a live stream.
 * @returns {Promise<{role: string, intervals: string[], venue: string, store: boolean,
 *   stream: boolean}>}
 */
export function instanceInfo() {
  info ??= getJson("/api/info");
  return info;
}
