/**
 * The instance's HTTP endpoint (loopback by default): `/metrics` for Prometheus, `/health` (the
 * process and its actor system are alive), `/ready` (stores migrated, topology running, not
 * shutting down), and the read API under `/api`. The routes are here; connections, their limits
 * and the protocol are src/http/http1_server.ts.
 * @module
 */
import { COMPOSITE_VENUE } from "../market/candle.ts";
import type { Logger } from "../logger.ts";
import type { Registry } from "../telemetry/metrics.ts";
import { type Http1Limits, serveHttp1 } from "./http1_server.ts";
import { httpMetrics } from "./http_metrics.ts";
import type { LatestView } from "./latest_view.ts";
import type { ReadApi } from "../connectors/read_api.ts";

/** Dependencies of {@linkcode startHttpServer}. */
export interface HttpServerOptions {
  readonly hostname: string;
  readonly port: number;
  readonly registry: Registry;
  readonly latest: LatestView;
  /** Store-backed queries; null answers 503 on `/api/candles` and `/api/alerts`. */
  readonly read: ReadApi | null;
  readonly intervals: readonly string[];
  readonly health: () => { ok: boolean; detail?: Record<string, unknown> };
  readonly ready: () => boolean;
  /** Connection limits; defaults in `HTTP1_DEFAULTS` (src/http/http1_server.ts). */
  readonly limits?: Http1Limits;
  /** Receives accept failures and connection-cap bursts. */
  readonly log?: Logger;
}

/** A running server. */
export interface HttpServer {
  readonly hostname: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_LIMIT = 5000;

/** Starts the server; resolves once it listens, rejects when it cannot. */
export function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  return new Promise((resolve) => {
    const metrics = httpMetrics(options.registry);
    const server = serveHttp1((req) => route(req, options), {
      ...options.limits,
      hostname: options.hostname,
      port: options.port,
      observer: metrics.observer,
      log: options.log,
    });
    metrics.watch(() => server.connections);
    resolve({
      hostname: server.hostname,
      port: server.port,
      close: async () => {
        await server.close();
        metrics.unwatch();
      },
    });
  });
}

async function route(req: Request, o: HttpServerOptions): Promise<Response> {
  const url = new URL(req.url);
  if (req.method !== "GET" && req.method !== "HEAD") {
    return json({ error: "method not allowed" }, 405);
  }
  try {
    switch (url.pathname) {
      case "/metrics":
        return bytes(await o.registry.metrics(), o.registry.contentType);
      case "/health": {
        const h = o.health();
        return json({ status: h.ok ? "ok" : "failing", ...h.detail }, h.ok ? 200 : 503);
      }
      case "/ready":
        return o.ready() ? json({ status: "ready" }) : json({ status: "not ready" }, 503);
      case "/api/latest":
        return json({ symbols: o.latest.snapshot() });
      case "/api/candles":
        return await candles(url.searchParams, o);
      case "/api/alerts":
        return await alerts(url.searchParams, o);
      default:
        return json({ error: `not found: ${url.pathname}` }, 404);
    }
  } catch (e) {
    return json({ error: `internal error: ${(e as Error).message}` }, 500);
  }
}

async function candles(q: URLSearchParams, o: HttpServerOptions): Promise<Response> {
  const errors: string[] = [];
  const symbol = (q.get("symbol") ?? "").trim().toUpperCase();
  if (!/^[A-Z0-9]{1,16}-[A-Z0-9]{1,16}$/.test(symbol)) {
    errors.push("symbol is required, like BTC-USD");
  }
  const interval = q.get("interval") ?? o.intervals[0];
  if (!o.intervals.includes(interval)) {
    errors.push(`interval must be one of ${o.intervals.join(", ")}`);
  }
  // The composite by default (docs/analytics.md); a venue name, or `legacy` for rows stored
  // before candles were kept per venue.
  const venue = q.get("venue") ?? COMPOSITE_VENUE;
  if (venue.length < 1 || venue.length > 256) {
    errors.push("venue must be a feed name like coinbase, or composite (the default)");
  }
  const limit = intParam(q, "limit", { fallback: 100, max: MAX_LIMIT }, errors);
  if (errors.length) return json({ error: errors.join("; ") }, 400);
  if (!o.read) return json({ error: "no embedded store in this instance" }, 503);
  const rows = await o.read.candles({ venue, symbol, interval, limit });
  return json({ venue, symbol, interval, candles: rows });
}

async function alerts(q: URLSearchParams, o: HttpServerOptions): Promise<Response> {
  const errors: string[] = [];
  const limit = intParam(q, "limit", { fallback: 50, max: MAX_LIMIT }, errors);
  if (errors.length) return json({ error: errors.join("; ") }, 400);
  if (!o.read) return json({ error: "no embedded store in this instance" }, 503);
  return json({ alerts: await o.read.alerts({ limit }) });
}

/**
 * An integer query parameter, written the one canonical way: decimal digits without sign, spaces,
 * leading zeros, exponent or fraction (`Number()` would take `0x10`, `1e3` and ` 5`).
 */
function intParam(
  q: URLSearchParams,
  name: string,
  o: { fallback: number; max: number },
  errors: string[],
): number {
  const all = q.getAll(name);
  if (all.length === 0) return o.fallback;
  const raw = all[0];
  const n = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : NaN;
  if (all.length > 1 || !(n <= o.max)) {
    const got = all.length > 1 ? `${all.length} values` : JSON.stringify(raw.slice(0, 40));
    errors.push(`${name} must be one decimal integer from 1 to ${o.max} (digits only), got ${got}`);
    return o.fallback;
  }
  return n;
}

function json(body: unknown, status = 200): Response {
  const text = JSON.stringify(
    body,
    (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
  );
  return bytes(text, "application/json; charset=utf-8", status);
}

/** A whole body with its length set: the server sends it in one piece (no chunked encoding). */
function bytes(text: string, contentType: string, status = 200): Response {
  const body = new TextEncoder().encode(text);
  return new Response(body, {
    status,
    headers: { "content-type": contentType, "content-length": String(body.length) },
  });
}
