import assert from "node:assert/strict";
import type { Alert } from "../../src/market/alert.ts";
import { AnomalyDetector } from "../../src/market/anomaly/anomaly_detector.ts";
import type { Candle } from "../../src/market/candle.ts";
import { CandleAggregator } from "../../src/market/candle_aggregator.ts";
import { IndicatorEngine } from "../../src/market/indicator_engine.ts";
import type { IndicatorRow } from "../../src/market/indicator_row.ts";
import { parseIntervals } from "../../src/market/interval.ts";
import type { Tick } from "../../src/market/tick.ts";
import { mulberry32 } from "./prng.ts";

const T0 = 1_700_000_000_000;

function ticks(seed: number): Tick[] {
  const rnd = mulberry32(seed);
  const out: Tick[] = [];
  const price: Record<string, number> = { "BTC-USD": 40_000, "ETH-USD": 2000 };
  for (let i = 0; i < 6000; i++) {
    const symbol = i % 2 === 0 ? "BTC-USD" : "ETH-USD";
    // Occasional jumps so price_spike, volume_spike and band_breakout all get exercised.
    price[symbol] *= 1 + (rnd() - 0.5) / 500 + (i % 997 === 0 ? 0.05 : 0);
    out.push({
      source: rnd() < 0.5 ? "a" : "b",
      symbol,
      price: price[symbol],
      size: i % 997 === 0 ? 500 : rnd(),
      ts: T0 + i * 500 + Math.floor(rnd() * 300),
      id: String(i),
    });
  }
  return out;
}

function runPipeline(input: Tick[]): string {
  const agg = new CandleAggregator({ intervals: parseIntervals("1m,5m") });
  const engine = new IndicatorEngine();
  const detector = new AnomalyDetector({
    rules: new Set(["price_spike", "volume_spike", "band_breakout"]),
  });
  const log: (Candle | IndicatorRow | Alert)[] = [];
  const out = {
    candle: (c: Candle) => {
      log.push(c);
      for (const row of engine.onCandle(c)) {
        log.push(row);
        log.push(...detector.onIndicators(c, row));
      }
    },
    late: () => {},
    duplicate: () => {},
  };
  for (const t of input) agg.add(t, out);
  agg.flush(out);
  return JSON.stringify(log);
}

Deno.test("candles → indicators → alerts are byte-identical under any arrival order within lateness", () => {
  const input = ticks(21);
  const rnd = mulberry32(99);
  const expected = runPipeline(input);
  assert.match(expected, /"rule":"price_spike"/);
  assert.match(expected, /"rule":"band_breakout"/);
  assert.match(expected, /"rule":"volume_spike"/);
  for (let k = 0; k < 5; k++) {
    const shuffled = input.map((t) => ({ t, at: t.ts + rnd() * 2000 }))
      .sort((a, b) => a.at - b.at).map((x) => x.t);
    assert.equal(runPipeline(shuffled), expected, `shuffle ${k}`);
  }
});
