import assert from "node:assert/strict";
import { LatestView } from "../../src/http/latest_view.ts";
import type { Candle } from "../../src/market/candle.ts";
import { render } from "../../src/ui/live_view.ts";
import type { Pipeline } from "../../src/pipeline/pipeline.ts";

const candle = (venue: string, close: number, extra: Partial<Candle> = {}): Candle => ({
  venue,
  symbol: "BTC-USD",
  interval: "1m",
  window_start: 60_000,
  open: 100,
  high: 110,
  low: 90,
  close,
  volume: 1,
  vwap: 100,
  trades: 1,
  first_ts: 60_000,
  last_ts: 61_000,
  version: 1,
  ...extra,
});

Deno.test("live view: each symbol's row shows the composite candle, its venue and the venues in it", () => {
  const latest = new LatestView();
  latest.ticks([{ source: "kraken", symbol: "BTC-USD", price: 101, size: 1, ts: 1, id: "1" }]);
  latest.candle(candle("kraken", 99));
  latest.candle(candle("composite", 100, {
    constituents: ["coinbase", "kraken"],
    excluded: [{ venue: "binance", reason: "outlier" }],
  }));
  latest.candle(candle("coinbase", 101)); // a venue candle after the composite changes nothing
  const snapshot = latest.snapshot();
  assert.deepEqual(Object.keys(snapshot[0].venues).sort(), ["coinbase", "composite", "kraken"]);
  const pipeline = { http: null, config: { intervals: ["1m"], analyticsVenue: "composite" } };
  const frame = render(snapshot, 10, 0, pipeline as unknown as Pick<Pipeline, "http" | "config">);
  const [head, row] = frame.split("\n").slice(2, 4);
  assert.match(head, /venue/);
  assert.match(row, /composite/);
  assert.match(row, /100\.0000\/110\.0000\/90\.0000\/100\.0000/, "the composite's o/h/l/c");
  assert.match(row, /coinbase,kraken \(binance:outlier\)$/);
});
