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
  const pipeline = { http: null, config: { intervals: ["1m"], analyticsVenues: ["composite"] } };
  const frame = render(snapshot, 10, 0, pipeline as unknown as Pick<Pipeline, "http" | "config">);
  const [head, row] = frame.split("\n").slice(2, 4);
  assert.match(head, /venue/);
  assert.match(row, /composite/);
  assert.match(row, /100\.0000\/110\.0000\/90\.0000\/100\.0000/, "the composite's o/h/l/c");
  assert.match(row, /coinbase,kraken \(binance:outlier\)$/);
});

Deno.test("live view: the first line names the dashboard's URL", () => {
  const pipeline = {
    http: { hostname: "127.0.0.1", port: 9464 },
    config: { intervals: ["1m"], analyticsVenues: ["composite"] },
  };
  const frame = render([], 0, 0, pipeline as unknown as Pick<Pipeline, "http" | "config">);
  assert.match(frame.split("\n")[0], /dashboard http:\/\/127\.0\.0\.1:9464\/$/);
  const v6 = { ...pipeline, http: { hostname: "::1", port: 80 } };
  const frame6 = render([], 0, 0, v6 as unknown as Pick<Pipeline, "http" | "config">);
  assert.match(frame6.split("\n")[0], /dashboard http:\/\/\[::1\]:80\/$/);
});

Deno.test("live view: the forecast columns show the newest target window's ridge and GARCH values", () => {
  const latest = new LatestView();
  latest.ticks([{ source: "kraken", symbol: "BTC-USD", price: 101, size: 1, ts: 1, id: "1" }]);
  const row = (target: number, model: "ewma" | "garch" | "ridge", x: number) => ({
    venue: "composite",
    symbol: "BTC-USD",
    interval: "1m",
    window_start: target - 60_000,
    target_window_start: target,
    model,
    predicted_return: model === "ridge" ? x : null,
    predicted_vol: model === "ridge" ? null : x,
    prob_up: model === "ridge" ? 0.61 : null,
    fallback: null,
    version: 1,
  });
  latest.prediction(row(120_000, "ewma", 0.01));
  latest.prediction(row(120_000, "garch", 0.0123));
  latest.prediction(row(120_000, "ridge", 0.00042));
  latest.prediction(row(60_000, "garch", 0.5)); // an older target window: ignored
  latest.prediction({ ...row(180_000, "garch", 0.9), venue: "kraken" }); // not the analytics venue
  const snapshot = latest.snapshot();
  assert.deepEqual(snapshot[0].forecasts["1m"], {
    target_window_start: 120_000,
    predicted_return: 0.00042,
    prob_up: 0.61,
    predicted_vol: 0.0123,
  });
  const pipeline = { http: null, config: { intervals: ["1m"], analyticsVenues: ["composite"] } };
  const frame = render(snapshot, 10, 0, pipeline as unknown as Pick<Pipeline, "http" | "config">);
  const [head, line] = frame.split("\n").slice(2, 4);
  assert.match(head, /forecast r\s+P\(up\)\s+forecast σ/);
  assert.match(line, /0\.042%\s+61%\s+1\.230%/);
});

Deno.test("live view: two analytics venues give each symbol a row per venue with its own indicators and alerts", () => {
  const latest = new LatestView({ venue: "composite" });
  latest.ticks([{ source: "kraken", symbol: "BTC-USD", price: 101, size: 1, ts: 1, id: "1" }]);
  latest.candle(candle("composite", 100, { constituents: ["kraken"], excluded: [] }));
  latest.candle(candle("kraken", 99));
  const ind = (venue: string, ema: number, rsi: number) => ({
    venue,
    symbol: "BTC-USD",
    interval: "1m",
    window_start: 60_000,
    close: 100,
    sma: null,
    ema_fast: ema,
    ema_slow: null,
    rsi,
    bb_upper: null,
    bb_middle: null,
    bb_lower: null,
    volatility: null,
    version: 1,
  });
  latest.indicators(ind("composite", 100.5, 55));
  latest.indicators(ind("kraken", 98.25, 31));
  const alert = (venue: string, id: string) => ({
    id,
    venue,
    symbol: "BTC-USD",
    interval: "1m",
    rule: "price_spike" as const,
    severity: "warning" as const,
    value: 5,
    threshold: 4,
    window_start: 60_000,
    message: "",
  });
  latest.alert(alert("kraken", "a"));
  latest.alert(alert("kraken", "b"));
  const snapshot = latest.snapshot();
  assert.equal(snapshot[0].indicators["1m"].ema_fast, 100.5, "the charted venue's indicators");
  assert.equal(snapshot[0].venue_indicators.kraken["1m"].ema_fast, 98.25);
  assert.deepEqual([snapshot[0].alerts, snapshot[0].venue_alerts], [0, { kraken: 2 }]);
  const pipeline = {
    http: null,
    config: { intervals: ["1m"], analyticsVenues: ["composite", "kraken"] },
  };
  const frame = render(snapshot, 10, 0, pipeline as unknown as Pick<Pipeline, "http" | "config">);
  const [composite, kraken] = frame.split("\n").slice(3, 5);
  assert.match(composite, /BTC-USD .* composite .*\/100\.0000\s+100\.5000\s+55\.0\s+0\s/);
  assert.match(kraken, /BTC-USD .* kraken .*\/99\.0000\s+98\.2500\s+31\.0\s+2\s/);
});
