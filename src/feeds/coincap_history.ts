/**
 * CoinCap v3 history backfill: `GET {url}/assets/{id}/history?interval=m1&start=&end=` once per
 * asset at start-up, so indicators are warm. Each m1 point becomes a tick at its `time` with id
 * `<asset id>:<time>` (the live poller's id scheme). Best effort: a 401 stops the backfill, a
 * 429/5xx is retried up to three times honouring `Retry-After`, then that asset is skipped.
 * @module
 */
import { Backoff } from "../connectors/backoff.ts";
import type { Logger } from "../logger.ts";
import type { TickEmitter } from "./feed_context.ts";
import { httpGet, type HttpGetOptions } from "./http_request.ts";

/** What the backfill needs from the REST config. */
export interface CoinCapBackfillConfig {
  readonly url: string;
  readonly assets: Readonly<Record<string, string>>;
  readonly backfillMinutes: number;
  readonly retryInitialMs: number;
}

const ATTEMPTS = 3;
const MAX_BODY_BYTES = 16 << 20;

/** Backfills every asset; resolves when done (or when `signal` aborts). */
export async function runCoinCapBackfill(
  c: CoinCapBackfillConfig,
  http: HttpGetOptions & { logger: Logger; emit: TickEmitter },
  signal: AbortSignal,
): Promise<void> {
  const end = http.clock.now();
  const start = end - c.backfillMinutes * 60_000;
  const base = c.url.replace(/\/$/, "");
  for (const [asset, symbol] of Object.entries(c.assets)) {
    const url = `${base}/assets/${
      encodeURIComponent(asset)
    }/history?interval=m1&start=${start}&end=${end}`;
    const backoff = new Backoff({ initialMs: c.retryInitialMs, factor: 2, jitter: 0 });
    for (let attempt = 1; attempt <= ATTEMPTS && !signal.aborted; attempt++) {
      const out = await httpGet(url, http, signal);
      if (out.kind === "aborted") return;
      if (out.kind === "ok") {
        await emitHistory(out.body, asset, symbol, http.emit);
        break;
      }
      if (out.kind === "unauthorized") {
        http.logger.error("CoinCap rejected the API key during backfill: check COINCAP_API_KEY", {
          status: out.status,
        });
        return;
      }
      if (out.kind === "client_error" || attempt === ATTEMPTS) {
        http.logger.warn("CoinCap backfill skipped an asset", { asset, outcome: out.kind });
        break;
      }
      const delay = backoff.next();
      const wait = ("retryAfterMs" in out ? out.retryAfterMs : undefined) ?? delay;
      try {
        await http.clock.sleep(wait, signal);
      } catch {
        return;
      }
    }
  }
}

async function emitHistory(
  body: string,
  asset: string,
  symbol: string,
  emit: TickEmitter,
): Promise<void> {
  const msg = await emit.json(body, MAX_BODY_BYTES);
  if (!msg) return;
  if (!Array.isArray(msg.data)) {
    return emit.unknown("history response without a data array", body.slice(0, 4096));
  }
  for (const p of msg.data as Record<string, unknown>[]) {
    const ok = p !== null && typeof p === "object";
    const r = emit.fields(
      {
        symbol,
        price: ok ? p.priceUsd : undefined,
        size: null,
        ts: ok ? p.time : undefined,
        id: `${asset}:${String(ok ? p.time : "")}`,
      },
      () => JSON.stringify({ asset, point: p }),
    );
    if (r) await r;
  }
}
