/**
 * Coinbase Exchange trades: the `matches` channel of `wss://ws-feed.exchange.coinbase.com`, plus
 * `heartbeat` so quiet products still prove the connection alive.
 *
 * - The subscribe message is sent as soon as the socket opens (Coinbase drops clients that have
 *   not subscribed within 5 s).
 * - A match's `side` is the maker order's side; the tick carries the taker's, the opposite.
 * - Gaps: `trade_id` is consecutive per product, while `sequence` also counts order-book events
 *   that the matches channel does not carry, so gaps are detected on `trade_id` (one count per
 *   gap, across reconnects too). `last_match`, sent after each subscribe, is usually a replay and
 *   is dropped by the recent-id memory.
 * @module
 */
import { checkSymbolMap, checkSymbols, checkUrl, resolveConfig } from "./feed_config.ts";
import { type FeedDeps, mapSymbol } from "./feed_context.ts";
import type { Source } from "./source.ts";
import { checkWsFeed, idOf, runWsFeed, WS_FEED_DEFAULTS, type WsFeedConfig } from "./ws_feed.ts";

/** Config of {@linkcode createCoinbaseSource}. */
export interface CoinbaseConfig extends WsFeedConfig {
  /** Feed endpoint (env `COINBASE_WS_URL`). Default `wss://ws-feed.exchange.coinbase.com`. */
  url: string;
  /** Coinbase product ids, already `BASE-QUOTE`. Default `["BTC-USD", "ETH-USD"]`. */
  symbols: string[];
  /** Renames symbols, e.g. `{ "BTC-USDC": "BTC-USD" }`. Default none. */
  symbolMap: Record<string, string>;
  /** Also subscribe to `heartbeat` (one frame per second per product). Default true. */
  heartbeat: boolean;
}

/** Defaults of {@linkcode CoinbaseConfig}. */
export const COINBASE_DEFAULTS: CoinbaseConfig = Object.freeze({
  ...WS_FEED_DEFAULTS,
  url: "wss://ws-feed.exchange.coinbase.com",
  symbols: ["BTC-USD", "ETH-USD"],
  symbolMap: {},
  heartbeat: true,
  // Coinbase rate-limits connections at 8 per second per IP; reconnect storms stay far below.
  maxConnectsPerWindow: 30,
  connectWindowMs: 300_000,
});

/** Validates a Coinbase config (defaults applied); throws `FeedConfigError` listing every problem. */
export function resolveCoinbaseConfig(input?: Partial<CoinbaseConfig>): Readonly<CoinbaseConfig> {
  return resolveConfig("coinbase", COINBASE_DEFAULTS, input, [
    (c) => checkUrl("url", c.url, ["ws:", "wss:"]),
    (c) => checkSymbols("symbols", c.symbols),
    (c) => checkSymbolMap("symbolMap", c.symbolMap),
    checkWsFeed,
  ]);
}

const TAKER = { buy: "sell", sell: "buy" } as const;

/**
 * Creates the Coinbase trade feed (source name `coinbase`).
 *
 * @example
 * ```ts ignore
 * const source = createCoinbaseSource({ symbols: ["BTC-USD"] }, { clock, logger, registry, parser });
 * await source.run(output, signal);
 * ```
 */
export function createCoinbaseSource(config: Partial<CoinbaseConfig>, deps: FeedDeps): Source {
  const c = resolveCoinbaseConfig(config);
  const products = new Set(c.symbols);
  const lastTradeId = new Map<string, number>();
  const subscribe = JSON.stringify({
    type: "subscribe",
    product_ids: c.symbols,
    channels: c.heartbeat ? ["matches", "heartbeat"] : ["matches"],
  });
  return {
    name: "coinbase",
    run: async (output, signal) => {
      await runWsFeed("coinbase", c, deps, output, signal, ({ emit, metrics, logger }) => {
        const checkGap = (product: string, tradeId: unknown) => {
          if (typeof tradeId !== "number" || !Number.isSafeInteger(tradeId)) return;
          const last = lastTradeId.get(product);
          if (last !== undefined && tradeId > last + 1) {
            metrics.sequenceGap();
            logger.debug("trade id gap", { product, from: last, to: tradeId });
          }
          if (last === undefined || tradeId > last) lastTradeId.set(product, tradeId);
        };
        return {
          url: c.url,
          onOpen: (conn) => conn.send(subscribe),
          onFrame: async (text, conn) => {
            const msg = await emit.json(text, c.maxFrameBytes);
            if (!msg) return;
            switch (msg.type) {
              case "match":
              case "last_match": {
                const product = String(msg.product_id);
                if (!products.has(product)) {
                  return emit.refuse("unknown_symbol", `not subscribed: ${product}`, text);
                }
                checkGap(product, msg.trade_id);
                const maker = msg.side;
                const side = maker === "buy" || maker === "sell" ? TAKER[maker] : undefined;
                return emit.fields({
                  symbol: mapSymbol(product, c.symbolMap),
                  price: msg.price,
                  size: msg.size,
                  ts: msg.time,
                  id: idOf(msg.trade_id),
                  side,
                }, () => text);
              }
              case "heartbeat":
              case "subscriptions":
                return;
              case "error": {
                logger.error("coinbase reported an error; reconnecting", {
                  message: msg.message,
                  reason: msg.reason,
                });
                return conn.reconnect("venue_error");
              }
              default:
                return emit.unknown(`unexpected type ${JSON.stringify(msg.type)}`, text);
            }
          },
        };
      });
    },
  };
}
