/**
 * The live feeds' environment variables → partial configs, for the one config loader to call
 * (nothing here reads `Deno.env`), and a factory by source name for `--source a,b,…`.
 * @module
 */
import { type BinanceConfig, createBinanceSource } from "./binance.ts";
import { type CoinbaseConfig, createCoinbaseSource } from "./coinbase.ts";
import { type CoinCapRestConfig, createCoinCapRestSource } from "./coincap_rest.ts";
import { type CoinCapWsConfig, createCoinCapWsSource } from "./coincap_ws.ts";
import type { FeedDeps } from "./feed_context.ts";
import { createKrakenSource, type KrakenConfig } from "./kraken.ts";
import type { Source } from "./source.ts";

/** The live feed names accepted by {@linkcode createLiveSource}. */
export const LIVE_FEEDS = ["coincap", "coinbase", "binance", "kraken"] as const;
/** One of {@linkcode LIVE_FEEDS}. */
export type LiveFeed = typeof LIVE_FEEDS[number];

/** Partial configs per feed, as read from the environment (the factories apply defaults). */
export interface LiveFeedConfigs {
  /** `rest` (default) polls; `ws` streams and falls back to REST on `Unauthorized`. */
  coincapTransport: "rest" | "ws";
  coincapRest: Partial<CoinCapRestConfig>;
  coincapWs: Partial<CoinCapWsConfig>;
  coinbase: Partial<CoinbaseConfig>;
  binance: Partial<BinanceConfig>;
  kraken: Partial<KrakenConfig>;
}

/**
 * Reads the feed variables from `env`; returns the configs and every problem found.
 *
 * | variable | meaning |
 * |---|---|
 * | `COINCAP_API_KEY` | CoinCap v3 key (required for `coincap`) |
 * | `COINCAP_TRANSPORT` | `rest` (default) or `ws` |
 * | `COINCAP_REST_URL`, `COINCAP_WS_URL` | endpoint overrides |
 * | `COINCAP_POLL_INTERVAL` | poll interval: ms, or with `s`/`m` suffix (default 60s) |
 * | `COINCAP_ASSETS` | `bitcoin=BTC-USD,ethereum=ETH-USD` |
 * | `COINCAP_BACKFILL_MINUTES` | m1 history to backfill at start (default 0) |
 * | `COINBASE_WS_URL`, `COINBASE_SYMBOLS` | endpoint, `BTC-USD,ETH-USD` |
 * | `BINANCE_WS_URL`, `BINANCE_SYMBOLS`, `BINANCE_SYMBOL_MAP` | endpoint, `BTC-USDT,…`, `BTC-USDT=BTC-USD,…` |
 * | `KRAKEN_WS_URL`, `KRAKEN_SYMBOLS` | endpoint, `BTC-USD,ETH-USD` |
 *
 * @example
 * ```ts
 * import { feedConfigsFromEnv } from "./feed_env.ts";
 * const { configs, errors } = feedConfigsFromEnv({ COINCAP_POLL_INTERVAL: "2m" });
 * // configs.coincapRest.pollIntervalMs === 120000, errors.length === 0
 * ```
 */
export function feedConfigsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): { configs: LiveFeedConfigs; errors: string[] } {
  const errors: string[] = [];
  const get = (k: string) => {
    const v = env[k]?.trim();
    return v ? v : undefined;
  };
  const list = (k: string) => get(k)?.split(",").map((s) => s.trim()).filter(Boolean);
  const map = (k: string) => {
    const v = get(k);
    if (v === undefined) return undefined;
    const out: Record<string, string> = {};
    for (const pair of v.split(",").map((s) => s.trim()).filter(Boolean)) {
      const [from, to, extra] = pair.split("=").map((s) => s.trim());
      if (!from || !to || extra !== undefined) errors.push(`${k}: "${pair}" is not key=value`);
      else out[from] = to;
    }
    return out;
  };
  const duration = (k: string) => {
    const v = get(k);
    if (v === undefined) return undefined;
    const m = v.match(/^(\d+)(ms|s|m)?$/);
    if (!m) {
      errors.push(`${k}: "${v}" is not a duration (e.g. 60000, 60s, 1m)`);
      return undefined;
    }
    return Number(m[1]) * (m[2] === "m" ? 60_000 : m[2] === "s" ? 1_000 : 1);
  };
  const int = (k: string) => {
    const v = get(k);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) errors.push(`${k}: "${v}" is not a non-negative integer`);
    return Number(v);
  };
  const transport = get("COINCAP_TRANSPORT") ?? "rest";
  if (transport !== "rest" && transport !== "ws") {
    errors.push(`COINCAP_TRANSPORT: "${transport}" must be rest or ws`);
  }
  const shared = { apiKey: get("COINCAP_API_KEY"), assets: map("COINCAP_ASSETS") };
  const rest: Partial<CoinCapRestConfig> = compact({
    ...shared,
    url: get("COINCAP_REST_URL"),
    pollIntervalMs: duration("COINCAP_POLL_INTERVAL"),
    backfillMinutes: int("COINCAP_BACKFILL_MINUTES"),
  });
  const { apiKey: _k, assets: _a, ...restOnly } = rest;
  return {
    errors,
    configs: {
      coincapTransport: transport === "ws" ? "ws" : "rest",
      coincapRest: rest,
      coincapWs: compact({ ...shared, url: get("COINCAP_WS_URL"), rest: restOnly }),
      coinbase: compact({ url: get("COINBASE_WS_URL"), symbols: list("COINBASE_SYMBOLS") }),
      binance: compact({
        url: get("BINANCE_WS_URL"),
        symbols: list("BINANCE_SYMBOLS"),
        symbolMap: map("BINANCE_SYMBOL_MAP"),
      }),
      kraken: compact({ url: get("KRAKEN_WS_URL"), symbols: list("KRAKEN_SYMBOLS") }),
    },
  };
}

function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Creates the live source `name` from `configs` (throws `FeedConfigError` on a bad config).
 *
 * @example
 * ```ts ignore
 * const { configs } = feedConfigsFromEnv(env);
 * const sources = ["binance", "kraken"].map((n) => createLiveSource(n as LiveFeed, configs, deps));
 * ```
 */
export function createLiveSource(name: LiveFeed, configs: LiveFeedConfigs, deps: FeedDeps): Source {
  switch (name) {
    case "coincap":
      return configs.coincapTransport === "ws"
        ? createCoinCapWsSource(configs.coincapWs, deps)
        : createCoinCapRestSource(configs.coincapRest, deps);
    case "coinbase":
      return createCoinbaseSource(configs.coinbase, deps);
    case "binance":
      return createBinanceSource(configs.binance, deps);
    case "kraken":
      return createKrakenSource(configs.kraken, deps);
  }
}
