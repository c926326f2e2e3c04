/**
 * CoinCap v3 WebSocket prices (`wss://wss.coincap.io/prices?assets=…&apiKey=…`, paid plans).
 *
 * Frames are flat maps of asset id → price string with neither size nor time: the receive time
 * (injected clock) is the event time, and the tick id is `<asset id>:<receive ms>`. A text frame
 * starting with `Unauthorized` means the key's plan has no WebSocket access: the source logs it
 * as an error once and falls back to REST polling (unless `fallbackToRest` is false, then it ends).
 * @module
 */
import { checkPositive, checkSymbolMap, checkUrl, resolveConfig } from "./feed_config.ts";
import type { FeedDeps } from "./feed_context.ts";
import {
  type CoinCapRestConfig,
  resolveCoinCapRestConfig,
  runCoinCapRest,
} from "./coincap_rest.ts";
import type { Source } from "./source.ts";
import {
  checkWsFeed,
  runWsFeed,
  WS_FEED_DEFAULTS,
  type WsFeedConfig,
  type WsVenueContext,
} from "./ws_feed.ts";
import type { WsConnection } from "./ws_connection.ts";
import type { Clock } from "../clock.ts";

/** Config of {@linkcode createCoinCapWsSource}. */
export interface CoinCapWsConfig extends WsFeedConfig {
  /** Endpoint (env `COINCAP_WS_URL`). Default `wss://wss.coincap.io/prices`. */
  url: string;
  /** API key (env `COINCAP_API_KEY`), sent as the `apiKey` query parameter. Required. */
  apiKey: string;
  /** CoinCap asset id → pipeline symbol (env `COINCAP_ASSETS`). */
  assets: Record<string, string>;
  /** Poll REST instead when the plan has no WebSocket. Default true. */
  fallbackToRest: boolean;
  /**
   * Also fall back after this many handshakes in a row fail (a refused upgrade, e.g. HTTP 401,
   * shows only as a failed connection). Default 5.
   */
  fallbackAfterConnectFailures: number;
  /** REST settings for the fallback (key and assets are shared). */
  rest: Partial<Omit<CoinCapRestConfig, "apiKey" | "assets">>;
}

/** Defaults of {@linkcode CoinCapWsConfig}. */
export const COINCAP_WS_DEFAULTS: CoinCapWsConfig = Object.freeze({
  ...WS_FEED_DEFAULTS,
  url: "wss://wss.coincap.io/prices",
  apiKey: "",
  assets: { bitcoin: "BTC-USD", ethereum: "ETH-USD" },
  fallbackToRest: true,
  fallbackAfterConnectFailures: 5,
  rest: {},
  idleTimeoutMs: 60_000,
  dedupeCapacity: 100,
});

/** Validates a CoinCap WebSocket config; throws `FeedConfigError` listing every problem. */
export function resolveCoinCapWsConfig(
  input?: Partial<CoinCapWsConfig>,
): Readonly<CoinCapWsConfig> {
  return resolveConfig("coincap", COINCAP_WS_DEFAULTS, input, [
    (c) => checkUrl("url", c.url, ["ws:", "wss:"]),
    (c) =>
      c.apiKey
        ? []
        : ['option "apiKey" is required (set COINCAP_API_KEY; keys at https://pro.coincap.io)'],
    (c) => Object.keys(c.assets).length ? [] : ['option "assets" must map at least one asset id'],
    (c) => checkSymbolMap("assets", c.assets),
    (c) => checkPositive("fallbackAfterConnectFailures", c.fallbackAfterConnectFailures),
    checkWsFeed,
  ]);
}

/**
 * Creates the CoinCap WebSocket price feed (source name `coincap`), falling back to REST.
 *
 * @example
 * ```ts ignore
 * const source = createCoinCapWsSource({ apiKey: "…" }, { clock, logger, registry, parser });
 * await source.run(output, signal);
 * ```
 */
export function createCoinCapWsSource(config: Partial<CoinCapWsConfig>, deps: FeedDeps): Source {
  const c = resolveCoinCapWsConfig(config);
  const rest = resolveCoinCapRestConfig({ ...c.rest, apiKey: c.apiKey, assets: c.assets });
  const url = new URL(c.url);
  url.searchParams.set("assets", Object.keys(c.assets).join(","));
  url.searchParams.set("apiKey", c.apiKey);
  return {
    name: "coincap",
    run: async (output, signal) => {
      const result = await runWsFeed("coincap", c, deps, output, signal, (ctx) => ({
        url: url.toString(),
        onFrame: (text, conn) => onPrices(text, conn, ctx, c, deps.clock),
      }), c.fallbackToRest ? c.fallbackAfterConnectFailures : undefined);
      if (result === undefined || signal.aborted || !c.fallbackToRest) return;
      deps.logger.child("coincap").warn("CoinCap WebSocket unusable: polling REST instead", {
        reason: result,
        pollIntervalMs: rest.pollIntervalMs,
      });
      await runCoinCapRest(rest, deps, output, signal);
    },
  };
}

async function onPrices(
  text: string,
  conn: WsConnection,
  { emit, metrics, logger }: WsVenueContext,
  c: Readonly<CoinCapWsConfig>,
  clock: Clock,
): Promise<void> {
  if (text.startsWith("Unauthorized")) {
    metrics.error("unauthorized");
    logger.error(
      "CoinCap refused the WebSocket: the API key's plan has no WebSocket access" +
        (c.fallbackToRest ? "; falling back to REST polling" : "; stopping"),
      { frame: text.slice(0, 200) },
    );
    return conn.finish("unauthorized");
  }
  const receivedAt = clock.now();
  const msg = await emit.json(text, c.maxFrameBytes);
  if (!msg) return;
  for (const [asset, price] of Object.entries(msg)) {
    const symbol = c.assets[asset];
    const raw = () => JSON.stringify({ [asset]: price });
    if (!symbol) {
      await emit.refuse("unknown_symbol", `asset not configured: ${asset}`, raw());
      continue;
    }
    const id = `${asset}:${receivedAt}`;
    const r = emit.fields({ symbol, price, size: null, ts: receivedAt, id }, raw);
    if (r) await r;
  }
}
