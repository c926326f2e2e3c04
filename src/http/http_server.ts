/**
 * The instance's HTTP endpoint (Deno.serve, loopback by default): `/metrics` for Prometheus,
 * `/health` (the process and its actor system are alive), `/ready` (stores migrated, topology
 * running, not shutting down), and the read API under `/api`.
 * @module
 */
import type { Registry } from "../telemetry/metrics.ts";
import type { LatestView } from "./latest_view.ts";
import type { ReadApi } from "./read_api.ts";

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
}

/** A running server. */
export interface HttpServer {
  readonly hostname: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_LIMIT = 5000;

/** Starts the server; resolves once it listens. */
export function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      onListen: ({ hostname, port }) => {
        resolve({ hostname, port, close: () => server.shutdown() });
      },
    }, (req) => route(req, options));
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
        return new Response(await o.registry.metrics(), {
          headers: { "content-type": o.registry.contentType },
        });
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
  const limit = parseLimit(q.get("limit"), 100, errors);
  if (errors.length) return json({ error: errors.join("; ") }, 400);
  if (!o.read) return json({ error: "no embedded store in this instance" }, 503);
  return json({ symbol, interval, candles: await o.read.candles({ symbol, interval, limit }) });
}

async function alerts(q: URLSearchParams, o: HttpServerOptions): Promise<Response> {
  const errors: string[] = [];
  const limit = parseLimit(q.get("limit"), 50, errors);
  if (errors.length) return json({ error: errors.join("; ") }, 400);
  if (!o.read) return json({ error: "no embedded store in this instance" }, 503);
  return json({ alerts: await o.read.alerts({ limit }) });
}

function parseLimit(raw: string | null, fallback: number, errors: string[]): number {
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
    errors.push(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    return fallback;
  }
  return n;
}

function json(body: unknown, status = 200): Response {
  return new Response(
    JSON.stringify(body, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)),
    { status, headers: { "content-type": "application/json; charset=utf-8" } },
  );
}
