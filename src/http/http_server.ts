/**
 * The instance's HTTP endpoint (loopback by default): `/metrics` for Prometheus, `/health` (the
 * process and its actor system are alive), `/ready` (stores migrated, topology running, not
 * shutting down), the read API under `/api`, and the dashboard: its page at `/`, its files under
 * `/assets/`, its live events at `/api/stream` (src/http/sse_hub.ts). The routes are here;
 * connections, their limits and the protocol are src/http/http1_server.ts.
 * @module
 */
import { COMPOSITE_VENUE } from "../market/candle.ts";
import type { Logger } from "../logger.ts";
import type { Registry } from "../telemetry/metrics.ts";
import { type Http1Limits, serveHttp1 } from "./http1_server.ts";
import { httpMetrics } from "./http_metrics.ts";
import type { LatestView } from "./latest_view.ts";
import type { ReadApi } from "../connectors/read_api.ts";
import { type Asset, assetResponse, dashboardAssets } from "./dashboard_assets.ts";
import type { HealthSummary } from "./health_summary.ts";
import type { SseHub } from "./sse_hub.ts";
import { HEALTH_TOPIC } from "./market_stream.ts";

/** Dependencies of {@linkcode startHttpServer}. */
export interface HttpServerOptions {
  readonly hostname: string;
  readonly port: number;
  readonly registry: Registry;
  readonly latest: LatestView;
  /** Store-backed queries; null answers 503 on `/api/candles` and `/api/alerts`. */
  readonly read: ReadApi | null;
  readonly intervals: readonly string[];
  /** The instance's role, for the dashboard (`ingest` has no market data). */
  readonly role?: string;
  /** The venue whose candles the dashboard charts: the first one the indicators run on. */
  readonly venue?: string;
  /** Every venue the indicators and candle rules run on (`--analytics-venue`). */
  readonly venues?: readonly string[];
  /** The dashboard's live events; null answers 503 on `/api/stream`. */
  readonly stream?: SseHub | null;
  /** The dashboard's health page, from the metrics. */
  readonly healthSummary?: () => Promise<HealthSummary>;
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

/** Where the dashboard is: the HTTP address, with an IPv6 host in brackets. */
export function dashboardUrl(http: { hostname: string; port: number }): string {
  const host = http.hostname.includes(":") ? `[${http.hostname}]` : http.hostname;
  return `http://${host}:${http.port}/`;
}

/** Starts the server; resolves once it listens, rejects when it cannot. */
export function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const assets = dashboardAssets();
  return new Promise((resolve) => {
    const metrics = httpMetrics(options.registry);
    const server = serveHttp1((req) => route(req, options, assets), {
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
        options.stream?.close();
        await server.close();
        metrics.unwatch();
      },
    });
  });
}

async function route(
  req: Request,
  o: HttpServerOptions,
  assets: ReadonlyMap<string, Asset>,
): Promise<Response> {
  const url = new URL(req.url);
  if (req.method !== "GET" && req.method !== "HEAD") {
    return json({ error: "method not allowed" }, 405);
  }
  const asset = assets.get(url.pathname);
  if (asset) return assetResponse(asset, req.headers.get("if-none-match"));
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
      case "/api/prices":
        return json({ prices: o.latest.prices() });
      case "/api/info":
        return json({
          role: o.role ?? "all",
          intervals: o.intervals,
          venue: o.venue ?? COMPOSITE_VENUE,
          venues: o.venues ?? [o.venue ?? COMPOSITE_VENUE],
          store: o.read !== null,
          stream: !!o.stream,
        });
      case "/api/stream":
        if (!o.stream) return json({ error: "the live stream is off in this instance" }, 503);
        return stream(req, url.searchParams, o.stream);
      case "/api/health":
        if (!o.healthSummary) return json({ error: "no health summary" }, 503);
        return json(await o.healthSummary());
      case "/api/candles":
        return await candles(url.searchParams, o);
      case "/api/alerts":
        return await alerts(url.searchParams, o);
      case "/api/predictions":
        return await predictions(url.searchParams, o);
      default:
        return json({ error: `not found: ${url.pathname}` }, 404);
    }
  } catch (e) {
    return json({ error: `internal error: ${(e as Error).message}` }, 500);
  }
}

/** The series a candle or prediction query names, or the errors in it. */
function seriesOf(q: URLSearchParams, o: HttpServerOptions, errors: string[]) {
  const symbol = (q.get("symbol") ?? "").trim().toUpperCase();
  if (!SYMBOL.test(symbol)) {
    errors.push("symbol is required, like BTC-USD");
  }
  const interval = q.get("interval") ?? o.intervals[0];
  if (!o.intervals.includes(interval)) {
    errors.push(`interval must be one of ${o.intervals.join(", ")}`);
  }
  return { venue: venueOf(q, errors), symbol, interval };
}

// The composite by default (docs/analytics.md); a venue name, or `legacy` for candles stored
// before candles were kept per venue.
function venueOf(q: URLSearchParams, errors: string[]): string {
  const venue = q.get("venue") ?? COMPOSITE_VENUE;
  if (venue.length < 1 || venue.length > 256) {
    errors.push("venue must be a feed name like coinbase, or composite (the default)");
  }
  return venue;
}

async function candles(q: URLSearchParams, o: HttpServerOptions): Promise<Response> {
  const errors: string[] = [];
  const series = seriesOf(q, o, errors);
  const limit = intParam(q, "limit", { fallback: 100, max: MAX_LIMIT }, errors);
  const before = q.has("before")
    ? intParam(q, "before", { fallback: 0, max: Number.MAX_SAFE_INTEGER }, errors)
    : undefined;
  if (errors.length) return json({ error: errors.join("; ") }, 400);
  if (!o.read) return json({ error: "no embedded store in this instance" }, 503);
  const rows = await o.read.candles({ ...series, limit, before });
  return json({ ...series, candles: rows });
}

/** Forecasts of one series (every model), with realised returns once their window closed. */
async function predictions(q: URLSearchParams, o: HttpServerOptions): Promise<Response> {
  const errors: string[] = [];
  const series = seriesOf(q, o, errors);
  const limit = intParam(q, "limit", { fallback: 100, max: MAX_LIMIT }, errors);
  if (errors.length) return json({ error: errors.join("; ") }, 400);
  if (!o.read) return json({ error: "no embedded store in this instance" }, 503);
  const rows = await o.read.predictions({ ...series, limit });
  return json({ ...series, predictions: rows });
}

const SYMBOL = /^[A-Z0-9]{1,16}-[A-Z0-9]{1,16}$/;
const MAX_STREAM_SYMBOLS = 20;

/**
 * The dashboard's event stream. `symbols=A,B` subscribes to those symbols' candle events; without
 * it, every symbol's (a page charting one symbol asks for just that one). `health=1` adds the
 * health summaries (the health page asks for them; implied without `symbols`).
 */
function stream(req: Request, q: URLSearchParams, hub: SseHub): Response {
  const raw = q.get("symbols");
  const symbols = raw === null ? null : raw.split(",").filter((x) => x !== "");
  if (symbols && (symbols.length > MAX_STREAM_SYMBOLS || !symbols.every((x) => SYMBOL.test(x)))) {
    return json({
      error: `symbols must be up to ${MAX_STREAM_SYMBOLS} symbols like BTC-USD, comma-separated`,
    }, 400);
  }
  const topics = symbols && new Set<string>(symbols);
  if (topics && q.get("health") === "1") topics.add(HEALTH_TOPIC);
  return hub.connect(req.headers.get("last-event-id"), topics);
}

async function alerts(q: URLSearchParams, o: HttpServerOptions): Promise<Response> {
  const errors: string[] = [];
  const limit = intParam(q, "limit", { fallback: 50, max: MAX_LIMIT }, errors);
  const venue = venueOf(q, errors);
  if (errors.length) return json({ error: errors.join("; ") }, 400);
  if (!o.read) return json({ error: "no embedded store in this instance" }, 503);
  return json({ venue, alerts: await o.read.alerts({ venue, limit }) });
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
