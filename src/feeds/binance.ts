/**
 * Binance spot trades over one combined stream (`/stream?streams=btcusdt@trade/…`).
 *
 * Binance closes every connection at 24 h: the feed reconnects on its own at 23 h 50 min. The
 * server pings every 20 s and the runtime's WebSocket answers with pongs. `m` (buyer is the maker)
 * gives the taker side: `m = true` → the taker sold.
 * @module
 */
import { checkSymbolMap, checkSymbols, checkUrl, resolveConfig } from "./feed_config.ts";
import { type FeedDeps, mapSymbol } from "./feed_context.ts";
import type { Source } from "./source.ts";
import { checkWsFeed, idOf, runWsFeed, WS_FEED_DEFAULTS, type WsFeedConfig } from "./ws_feed.ts";

/** Config of {@linkcode createBinanceSource}. */
export interface BinanceConfig extends WsFeedConfig {
  /** Combined-stream endpoint (env `BINANCE_WS_URL`). Default `wss://stream.binance.com:9443/stream`. */
  url: string;
  /** Binance pairs as `BASE-QUOTE` (`BTC-USDT` → stream `btcusdt@trade`). At most 1024. */
  symbols: string[];
  /** Renames symbols after normalisation, e.g. `{ "BTC-USDT": "BTC-USD" }`. Default none. */
  symbolMap: Record<string, string>;
}

/** Defaults of {@linkcode BinanceConfig}. */
export const BINANCE_DEFAULTS: BinanceConfig = Object.freeze({
  ...WS_FEED_DEFAULTS,
  url: "wss://stream.binance.com:9443/stream",
  symbols: ["BTC-USDT", "ETH-USDT"],
  symbolMap: {},
  // Binance has no application heartbeat: a quiet pair may not trade for a while.
  idleTimeoutMs: 120_000,
  // 24 h server limit, minus a margin.
  maxConnectionAgeMs: 23 * 3_600_000 + 50 * 60_000,
  // Binance allows 300 connection attempts per 5 minutes per IP; stay far below.
  maxConnectsPerWindow: 30,
  connectWindowMs: 300_000,
});

/** Validates a Binance config (defaults applied); throws `FeedConfigError` listing every problem. */
export function resolveBinanceConfig(input?: Partial<BinanceConfig>): Readonly<BinanceConfig> {
  return resolveConfig("binance", BINANCE_DEFAULTS, input, [
    (c) => checkUrl("url", c.url, ["ws:", "wss:"]),
    (c) => checkSymbols("symbols", c.symbols, 1024),
    (c) => checkSymbolMap("symbolMap", c.symbolMap),
    checkWsFeed,
  ]);
}

/**
 * Creates the Binance trade feed (source name `binance`).
 *
 * @example
 * ```ts ignore
 * const source = createBinanceSource({ symbols: ["BTC-USDT"] }, { clock, logger, registry, parser });
 * await source.run(output, signal);
 * ```
 */
export function createBinanceSource(config: Partial<BinanceConfig>, deps: FeedDeps): Source {
  const c = resolveBinanceConfig(config);
  const byVenue = new Map(c.symbols.map((s) => [s.replace("-", ""), mapSymbol(s, c.symbolMap)]));
  const url = new URL(c.url);
  url.search = `streams=${
    c.symbols.map((s) => `${s.replace("-", "").toLowerCase()}@trade`).join("/")
  }`;
  return {
    name: "binance",
    run: async (output, signal) => {
      await runWsFeed("binance", c, deps, output, signal, ({ emit, metrics, logger }) => ({
        url: url.toString(),
        onFrame: async (text, conn) => {
          const msg = await emit.json(text, c.maxFrameBytes);
          if (!msg) return;
          const data = msg.data as Record<string, unknown> | undefined;
          if (typeof msg.stream === "string" && data && typeof data === "object") {
            if (data.e === "trade") {
              const symbol = byVenue.get(String(data.s));
              if (!symbol) {
                return emit.refuse("unknown_symbol", `not subscribed: ${String(data.s)}`, text);
              }
              const side = data.m === true ? "sell" : data.m === false ? "buy" : undefined;
              return emit.fields(
                { symbol, price: data.p, size: data.q, ts: data.T, id: idOf(data.t), side },
                () => text,
              );
            }
            if (data.e === "serverShutdown") return conn.reconnect("server_shutdown", true);
            return emit.unknown(`unexpected event ${JSON.stringify(data.e)}`, text);
          }
          if (msg.e === "serverShutdown") return conn.reconnect("server_shutdown", true);
          if ("result" in msg && "id" in msg) return;
          if ("error" in msg || "code" in msg) {
            metrics.error("venue_error");
            logger.error("binance reported an error", {
              error: msg.error ?? msg.msg,
              code: msg.code,
            });
            return;
          }
          return emit.unknown("not a combined-stream event", text);
        },
      }));
    },
  };
}
