import assert from "node:assert/strict";
import { normaliseSymbol } from "../../src/market/symbol.ts";

Deno.test("normaliseSymbol() maps every feed spelling to BASE-QUOTE", () => {
  const cases: [string, string | null][] = [
    ["btcusdt", "BTC-USDT"],
    ["BTC/USD", "BTC-USD"],
    ["btc-usd", "BTC-USD"],
    ["XBT/USD", "BTC-USD"],
    ["XXBTZUSD", "BTC-USD"],
    ["XETHXXBT", "ETH-BTC"],
    ["eth_usdc", "ETH-USDC"],
    [" solusd ", "SOL-USD"],
    ["ETHBTC", "ETH-BTC"],
    ["xbtusd", "BTC-USD"],
    ["btctusd", "BTC-TUSD"],
    ["opusd", "OP-USD"],
    ["XDG/USD", "DOGE-USD"],
    ["bitcoin", null],
    ["", null],
    ["USD", null],
    ["BTC-BTC", null],
    ["BTC--USD", null],
    ["B-USD", null],
  ];
  for (const [raw, want] of cases) assert.equal(normaliseSymbol(raw), want, raw);
});
