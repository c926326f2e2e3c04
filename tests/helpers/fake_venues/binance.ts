/**
 * A fake Binance combined-stream server speaking the documented `@trade` event format.
 * @module
 */
import { type FakeWsServer, startFakeWsServer } from "./ws_server.ts";

/** One `@trade` event's fields (defaults fill the rest). */
export interface BinanceTradeInit {
  symbol?: string;
  id: number;
  price?: string;
  qty?: string;
  time: number;
  buyerIsMaker?: boolean;
}

/** A combined-stream frame holding one trade, in Binance's documented layout. */
export function binanceTrade(t: BinanceTradeInit): string {
  const s = t.symbol ?? "BTCUSDT";
  return JSON.stringify({
    stream: `${s.toLowerCase()}@trade`,
    data: {
      e: "trade",
      E: t.time + 1,
      s,
      t: t.id,
      p: t.price ?? "43000.10",
      q: t.qty ?? "0.5",
      T: t.time,
      m: t.buyerIsMaker ?? false,
      M: true,
    },
  });
}

/** Starts a fake Binance server (no subscribe protocol: streams are in the URL). */
export function startFakeBinance(): FakeWsServer {
  return startFakeWsServer();
}
