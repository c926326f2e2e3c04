/**
 * A fake Coinbase Exchange feed: answers `subscribe` with `subscriptions`, or with an `error`
 * when the subscribe is malformed; tests push `match` frames in the documented format.
 * @module
 */
import { type FakeWsServer, startFakeWsServer } from "./ws_server.ts";

/** One match's fields. */
export interface CoinbaseMatchInit {
  tradeId: number;
  sequence?: number;
  product?: string;
  price?: string;
  size?: string;
  /** The maker's side, as Coinbase sends it. */
  side?: "buy" | "sell";
  time: string;
  type?: "match" | "last_match";
}

/** A `match` frame in Coinbase's documented layout. */
export function coinbaseMatch(m: CoinbaseMatchInit): string {
  return JSON.stringify({
    type: m.type ?? "match",
    trade_id: m.tradeId,
    sequence: m.sequence ?? 1000 + m.tradeId * 3,
    maker_order_id: "ac928c66-ca53-498f-9c13-a110027a60e8",
    taker_order_id: "132fb6ae-456b-4654-b4e0-d681ac05cea1",
    time: m.time,
    product_id: m.product ?? "BTC-USD",
    size: m.size ?? "0.01",
    price: m.price ?? "43000.00",
    side: m.side ?? "sell",
  });
}

/** Starts a fake Coinbase feed. */
export function startFakeCoinbase(): FakeWsServer {
  return startFakeWsServer({
    onMessage: (conn, text) => {
      let msg: { type?: string; product_ids?: string[]; channels?: string[] };
      try {
        msg = JSON.parse(text);
      } catch {
        conn.send(JSON.stringify({ type: "error", message: "Failed to parse", reason: text }));
        return;
      }
      if (msg.type !== "subscribe" || !Array.isArray(msg.product_ids)) {
        conn.send(
          JSON.stringify({ type: "error", message: "Failed to subscribe", reason: "bad request" }),
        );
        return;
      }
      conn.send(JSON.stringify({
        type: "subscriptions",
        channels: (msg.channels ?? []).map((name) => ({ name, product_ids: msg.product_ids })),
      }));
    },
  });
}
