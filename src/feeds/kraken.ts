/**
 * Kraken spot trades over WebSocket v2 (`wss://ws.kraken.com/v2`, channel `trade`).
 *
 * Prices and quantities are JSON numbers, `side` is already the taker's, timestamps are RFC 3339.
 * Kraken sends a `heartbeat` about every second once subscribed, so a short idle timeout is safe.
 * On subscribe Kraken replays the last trades as a `snapshot`; after a reconnect those are mostly
 * duplicates and are dropped by the recent-id memory, while the rest fill the gap.
 * Kraken bans an IP for 10 minutes after too many connection attempts, so reconnects are
 * budgeted conservatively (default 10 per 10 minutes, backoff 2 s → 2 min).
 * @module
 */
import { checkSymbolMap, checkSymbols, checkUrl, resolveConfig } from "./feed_config.ts";
import { type FeedDeps, mapSymbol } from "./feed_context.ts";
import type { Source } from "./source.ts";
import { checkWsFeed, idOf, runWsFeed, WS_FEED_DEFAULTS, type WsFeedConfig } from "./ws_feed.ts";

/** Config of {@linkcode createKrakenSource}. */
export interface KrakenConfig extends WsFeedConfig {
  /** Endpoint (env `KRAKEN_WS_URL`). Default `wss://ws.kraken.com/v2`. */
  url: string;
  /** Pairs as `BASE-QUOTE` (sent as Kraken's `BTC/USD`). Default `["BTC-USD", "ETH-USD"]`. */
  symbols: string[];
  /** Renames symbols after normalisation. Default none. */
  symbolMap: Record<string, string>;
  /** Ask for the snapshot of recent trades on (re)subscribe, to fill reconnect gaps. Default true. */
  snapshot: boolean;
}

/** Defaults of {@linkcode KrakenConfig}. */
export const KRAKEN_DEFAULTS: KrakenConfig = Object.freeze({
  ...WS_FEED_DEFAULTS,
  url: "wss://ws.kraken.com/v2",
  symbols: ["BTC-USD", "ETH-USD"],
  symbolMap: {},
  snapshot: true,
  idleTimeoutMs: 15_000,
  reconnectInitialMs: 2_000,
  reconnectMaxMs: 120_000,
  maxConnectsPerWindow: 10,
  connectWindowMs: 600_000,
});

/** Validates a Kraken config (defaults applied); throws `FeedConfigError` listing every problem. */
export function resolveKrakenConfig(input?: Partial<KrakenConfig>): Readonly<KrakenConfig> {
  return resolveConfig("kraken", KRAKEN_DEFAULTS, input, [
    (c) => checkUrl("url", c.url, ["ws:", "wss:"]),
    (c) => checkSymbols("symbols", c.symbols),
    (c) => checkSymbolMap("symbolMap", c.symbolMap),
    checkWsFeed,
  ]);
}

/**
 * Creates the Kraken trade feed (source name `kraken`).
 *
 * @example
 * ```ts ignore
 * const source = createKrakenSource({ symbols: ["BTC-USD"] }, { clock, logger, registry, parser });
 * await source.run(output, signal);
 * ```
 */
export function createKrakenSource(config: Partial<KrakenConfig>, deps: FeedDeps): Source {
  const c = resolveKrakenConfig(config);
  const byVenue = new Map(c.symbols.map((s) => [s.replace("-", "/"), mapSymbol(s, c.symbolMap)]));
  // Kraken v2 spells bitcoin BTC, but accept the legacy XBT too.
  for (const s of c.symbols) {
    if (s.startsWith("BTC-")) byVenue.set(`XBT/${s.slice(4)}`, mapSymbol(s, c.symbolMap));
  }
  let reqId = 0;
  return {
    name: "kraken",
    run: async (output, signal) => {
      await runWsFeed("kraken", c, deps, output, signal, ({ emit, metrics, logger }) => ({
        url: c.url,
        onOpen: (conn) =>
          conn.send(JSON.stringify({
            method: "subscribe",
            params: {
              channel: "trade",
              symbol: c.symbols.map((s) => s.replace("-", "/")),
              snapshot: c.snapshot,
            },
            req_id: ++reqId,
          })),
        onFrame: async (text) => {
          const msg = await emit.json(text, c.maxFrameBytes);
          if (!msg) return;
          if (msg.channel === "trade" && (msg.type === "update" || msg.type === "snapshot")) {
            if (!Array.isArray(msg.data)) {
              return emit.unknown("trade message without a data array", text);
            }
            for (const t of msg.data as Record<string, unknown>[]) {
              const raw = () => JSON.stringify(t);
              if (t === null || typeof t !== "object") {
                await emit.unknown("trade entry is not an object", raw());
                continue;
              }
              const symbol = byVenue.get(String(t.symbol));
              if (!symbol) {
                await emit.refuse("unknown_symbol", `not subscribed: ${String(t.symbol)}`, raw());
                continue;
              }
              const r = emit.fields({
                symbol,
                price: t.price,
                size: t.qty,
                ts: t.timestamp,
                id: idOf(t.trade_id),
                side: t.side,
              }, raw);
              if (r) await r;
            }
            return;
          }
          if (msg.channel === "heartbeat") return;
          if (msg.channel === "status") {
            const status = Array.isArray(msg.data)
              ? (msg.data[0] as Record<string, unknown>)?.system
              : undefined;
            if (status !== "online") logger.warn("kraken system status", { status });
            return;
          }
          if (msg.method === "subscribe" || msg.method === "unsubscribe" || msg.method === "pong") {
            if (msg.success === false) {
              metrics.error("subscribe_failed");
              logger.error("kraken rejected the subscription", {
                error: msg.error,
                symbol: msg.symbol,
              });
            }
            return;
          }
          if (typeof msg.error === "string") {
            metrics.error("venue_error");
            logger.error("kraken reported an error", { error: msg.error });
            return;
          }
          return emit.unknown("unexpected kraken message", text);
        },
      }));
    },
  };
}
