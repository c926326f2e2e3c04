/**
 * CoinCap v3 REST prices: `GET {url}/assets?ids=…` with `Authorization: Bearer <key>`, polled.
 *
 * CoinCap v3 meters every call in credits, so the default interval is one poll a minute (one call
 * for all assets). Prices are decimal strings; the response `timestamp` is the event time; a tick
 * id is `<asset id>:<timestamp>`, so a cached response polled twice is dropped as a duplicate.
 * 401/403: logged as a key problem and retried only after `unauthorizedRetryMs` (or the source
 * fails with {@linkcode CoinCapAuthError} when `stopOnUnauthorized`). 429 and 5xx: wait for
 * `Retry-After` when sent, otherwise back off exponentially with jitter.
 * @module
 */
import { PipelineError } from "../errors.ts";
import { Backoff } from "../connectors/backoff.ts";
import { checkPositive, checkSymbolMap, checkUrl, resolveConfig } from "./feed_config.ts";
import { type FeedDeps, TickEmitter } from "./feed_context.ts";
import { FeedMetrics } from "./feed_metrics.ts";
import { httpGet } from "./http_request.ts";
import type { Source, TickOutput } from "./source.ts";
import { runCoinCapBackfill } from "./coincap_history.ts";

/** Config of {@linkcode createCoinCapRestSource}. */
export interface CoinCapRestConfig {
  /** API base (env `COINCAP_REST_URL`). Default `https://rest.coincap.io/v3`. */
  url: string;
  /** API key (env `COINCAP_API_KEY`), sent as `Authorization: Bearer`. Required. */
  apiKey: string;
  /** CoinCap asset id → pipeline symbol (env `COINCAP_ASSETS`). Default bitcoin, ethereum. */
  assets: Record<string, string>;
  /** Poll interval, ms (env `COINCAP_POLL_INTERVAL`). Default 60000; at least 1000. */
  pollIntervalMs: number;
  /** Request timeout, ms. Default 10000. */
  requestTimeoutMs: number;
  /** First retry delay after a 429/5xx/network error without Retry-After, ms. Default 5000. */
  retryInitialMs: number;
  /** Retry delay cap, ms. Default 300000. */
  retryMaxMs: number;
  /** Longest Retry-After honoured, ms. Default 3600000. */
  maxRetryAfterMs: number;
  /** Wait after a 401/403 before trying the key again, ms. Default 900000 (15 min). */
  unauthorizedRetryMs: number;
  /** Fail the source on 401/403 instead of waiting. Default false. */
  stopOnUnauthorized: boolean;
  /** Backfill this many minutes of m1 history per asset at start (0 = off). Default 0. */
  backfillMinutes: number;
  /** Recent ids remembered per symbol. Default 100. */
  dedupeCapacity: number;
}

/** Defaults of {@linkcode CoinCapRestConfig}. */
export const COINCAP_REST_DEFAULTS: CoinCapRestConfig = Object.freeze({
  url: "https://rest.coincap.io/v3",
  apiKey: "",
  assets: { bitcoin: "BTC-USD", ethereum: "ETH-USD" },
  pollIntervalMs: 60_000,
  requestTimeoutMs: 10_000,
  retryInitialMs: 5_000,
  retryMaxMs: 300_000,
  maxRetryAfterMs: 3_600_000,
  unauthorizedRetryMs: 900_000,
  stopOnUnauthorized: false,
  backfillMinutes: 0,
  dedupeCapacity: 100,
});

/** CoinCap refused the API key and `stopOnUnauthorized` is set. */
export class CoinCapAuthError extends PipelineError {
  readonly status: number;

  constructor(status: number, body: string) {
    super(
      `CoinCap rejected the API key (HTTP ${status}): check COINCAP_API_KEY. ${body.slice(0, 200)}`,
    );
    this.status = status;
  }
}

const ASSET_ID = /^[a-z0-9-]+$/;
// A prices response for a few assets is a few KiB; anything near this is not one.
const MAX_BODY_BYTES = 4 << 20;

/** Validates a CoinCap REST config; throws `FeedConfigError` listing every problem. */
export function resolveCoinCapRestConfig(
  input?: Partial<CoinCapRestConfig>,
): Readonly<CoinCapRestConfig> {
  return resolveConfig("coincap", COINCAP_REST_DEFAULTS, input, [
    (c) => checkUrl("url", c.url, ["http:", "https:"]),
    (c) =>
      c.apiKey
        ? []
        : ['option "apiKey" is required (set COINCAP_API_KEY; keys at https://pro.coincap.io)'],
    (c) => Object.keys(c.assets).length ? [] : ['option "assets" must map at least one asset id'],
    (c) =>
      Object.keys(c.assets).filter((id) => !ASSET_ID.test(id)).map((id) =>
        `option "assets" has bad asset id "${id}"`
      ),
    (c) => checkSymbolMap("assets", c.assets),
    (c) =>
      c.pollIntervalMs >= 1_000
        ? []
        : [`option "pollIntervalMs" must be ≥ 1000, received ${c.pollIntervalMs}`],
    (c) => checkPositive("requestTimeoutMs", c.requestTimeoutMs),
    (c) => checkPositive("retryInitialMs", c.retryInitialMs),
    (c) => checkPositive("retryMaxMs", c.retryMaxMs),
    (c) => checkPositive("maxRetryAfterMs", c.maxRetryAfterMs, true),
    (c) => checkPositive("unauthorizedRetryMs", c.unauthorizedRetryMs),
    (c) => checkPositive("backfillMinutes", c.backfillMinutes, true),
    (c) => checkPositive("dedupeCapacity", c.dedupeCapacity, true),
  ]);
}

/**
 * Creates the CoinCap REST price poller (source name `coincap`).
 *
 * @example
 * ```ts ignore
 * const source = createCoinCapRestSource({ apiKey: "…" }, { clock, logger, registry, parser });
 * await source.run(output, signal);
 * ```
 */
export function createCoinCapRestSource(
  config: Partial<CoinCapRestConfig>,
  deps: FeedDeps,
): Source {
  const c = resolveCoinCapRestConfig(config);
  return { name: "coincap", run: (output, signal) => runCoinCapRest(c, deps, output, signal) };
}

/** Polls until `signal` aborts (shared with the WebSocket source's fallback). */
export async function runCoinCapRest(
  c: Readonly<CoinCapRestConfig>,
  deps: FeedDeps,
  output: TickOutput,
  signal: AbortSignal,
): Promise<void> {
  const { clock } = deps;
  const logger = deps.logger.child("coincap");
  const metrics = new FeedMetrics(deps.registry, "coincap", clock);
  const emit = new TickEmitter("coincap", output, {
    parser: deps.parser,
    clock,
    metrics,
    dedupeCapacity: c.dedupeCapacity,
  });
  const backoff = new Backoff({
    initialMs: c.retryInitialMs,
    maxMs: c.retryMaxMs,
    factor: 2,
    jitter: 0.5,
  }, deps.random);
  const url = `${c.url.replace(/\/$/, "")}/assets?ids=${Object.keys(c.assets).join(",")}`;
  const http = {
    clock,
    metrics,
    headers: { Authorization: `Bearer ${c.apiKey}`, Accept: "application/json" },
    timeoutMs: c.requestTimeoutMs,
    maxRetryAfterMs: c.maxRetryAfterMs,
  };
  try {
    if (c.backfillMinutes > 0) await runCoinCapBackfill(c, { ...http, logger, emit }, signal);
    while (!signal.aborted) {
      const out = await httpGet(url, http, signal);
      let wait: number;
      switch (out.kind) {
        case "aborted":
          return;
        case "ok":
          backoff.reset();
          await handlePrices(out.body, c.assets, emit);
          wait = c.pollIntervalMs;
          break;
        case "unauthorized":
          if (c.stopOnUnauthorized) throw new CoinCapAuthError(out.status, out.body);
          logger.error("CoinCap rejected the API key: check COINCAP_API_KEY; retrying later", {
            status: out.status,
            retryInMs: c.unauthorizedRetryMs,
          });
          wait = c.unauthorizedRetryMs;
          break;
        case "rate_limited":
        case "server_error":
          wait = out.retryAfterMs ?? backoff.next();
          logger.warn("CoinCap request failed, backing off", { status: out.status, waitMs: wait });
          break;
        default:
          wait = backoff.next();
          logger.warn("CoinCap request failed, backing off", { outcome: out.kind, waitMs: wait });
      }
      try {
        await clock.sleep(wait, signal);
      } catch {
        return;
      }
    }
  } finally {
    metrics.close();
  }
}

async function handlePrices(
  body: string,
  assets: Readonly<Record<string, string>>,
  emit: TickEmitter,
): Promise<void> {
  const msg = await emit.json(body, MAX_BODY_BYTES);
  if (!msg) return;
  if (!Array.isArray(msg.data)) {
    return emit.unknown("response without a data array", body.slice(0, 4096));
  }
  const timestamp = msg.timestamp;
  for (const a of msg.data as Record<string, unknown>[]) {
    const raw = () => JSON.stringify({ timestamp, asset: a });
    const symbol = a && typeof a === "object" ? assets[String(a.id)] : undefined;
    if (!symbol) {
      await emit.refuse("unknown_symbol", `asset not configured: ${String(a?.id)}`, raw());
      continue;
    }
    const r = emit.fields(
      { symbol, price: a.priceUsd, size: null, ts: timestamp, id: `${a.id}:${String(timestamp)}` },
      raw,
    );
    if (r) await r;
  }
}
