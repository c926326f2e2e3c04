/**
 * A fake Kraken WebSocket v2: sends `status` on connect, acknowledges `subscribe` (rejecting
 * unknown pairs like Kraken does), replays `history` as the trade `snapshot`, and sends pushed
 * trades as `update`s.
 * @module
 */
import { type FakeWsServer, startFakeWsServer } from "./ws_server.ts";

/** One trade in Kraken v2's layout. */
export interface KrakenTrade {
  symbol: string;
  side: "buy" | "sell";
  price: number;
  qty: number;
  ord_type: "limit" | "market";
  trade_id: number;
  timestamp: string;
}

/** A Kraken v2 trade with defaults. */
export function krakenTrade(
  t: Partial<KrakenTrade> & { trade_id: number; timestamp: string },
): KrakenTrade {
  return { symbol: "BTC/USD", side: "buy", price: 43000.5, qty: 0.25, ord_type: "market", ...t };
}

/** A `trade` channel frame. */
export function krakenTradeFrame(type: "snapshot" | "update", data: unknown[]): string {
  return JSON.stringify({ channel: "trade", type, data });
}

/** The fake server plus the trades it replays as a snapshot on each subscribe. */
export interface FakeKraken extends FakeWsServer {
  readonly history: KrakenTrade[];
}

/** Starts a fake Kraken v2 endpoint; `supported` lists the pairs it accepts. */
export function startFakeKraken(supported: readonly string[] = ["BTC/USD", "ETH/USD"]): FakeKraken {
  const history: KrakenTrade[] = [];
  const server = startFakeWsServer({
    onConnect: (conn) =>
      conn.send(JSON.stringify({
        channel: "status",
        type: "update",
        data: [{ api_version: "v2", connection_id: 1, system: "online", version: "2.0.0" }],
      })),
    onMessage: (conn, text) => {
      const msg = JSON.parse(text) as {
        method: string;
        params: { channel: string; symbol: string[]; snapshot?: boolean };
        req_id?: number;
      };
      if (msg.method !== "subscribe") return;
      const time = new Date().toISOString();
      for (const symbol of msg.params.symbol) {
        if (!supported.includes(symbol)) {
          conn.send(JSON.stringify({
            error: `Currency pair not supported ${symbol}`,
            method: "subscribe",
            req_id: msg.req_id,
            success: false,
            symbol,
            time_in: time,
            time_out: time,
          }));
          continue;
        }
        conn.send(JSON.stringify({
          method: "subscribe",
          req_id: msg.req_id,
          result: { channel: "trade", snapshot: msg.params.snapshot ?? true, symbol },
          success: true,
          time_in: time,
          time_out: time,
        }));
        const snap = history.filter((t) => t.symbol === symbol);
        if (msg.params.snapshot !== false && snap.length) {
          conn.send(krakenTradeFrame("snapshot", snap));
        }
      }
    },
  });
  return Object.assign(server, { history });
}
