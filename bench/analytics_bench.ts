/**
 * Analytics throughput: candle aggregation over 50 symbols × 3 intervals against a minimal
 * single-interval OHLCV loop, and tick parse+validate against bare `JSON.parse`.
 * Run: `deno run -A --v8-flags=--expose-gc bench/analytics_bench.ts`.
 * @module
 */
import { bestThroughput, pairedRatio, report, round } from "./measure.ts";
import type { Candle } from "../src/market/candle.ts";
import { CandleAggregator } from "../src/market/candle_aggregator.ts";
import { parseIntervals } from "../src/market/interval.ts";
import type { Tick } from "../src/market/tick.ts";
import { integerId } from "../src/market/tick_order.ts";
import { TickParser } from "../src/market/tick_parser.ts";
import { IndicatorEngine } from "../src/market/indicator_engine.ts";
import { AnomalyDetector } from "../src/market/anomaly/anomaly_detector.ts";

const T0 = 1_700_000_000_000;
const SYMBOLS = Array.from({ length: 50 }, (_, i) => `C${String(i).padStart(2, "0")}-USDT`);

function makeTicks(n: number): Tick[] {
  const ticks: Tick[] = [];
  let seed = 1;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < n; i++) {
    // ~5 ms of event time per tick, with a little disorder inside the allowed lateness.
    const ts = T0 + i * 5 - Math.floor(rnd() * 1000);
    const id = String(1_000_000 + Math.floor(i / 50));
    ticks.push({
      source: "binance",
      symbol: SYMBOLS[i % 50],
      price: 100 + rnd() * 10,
      size: rnd(),
      ts,
      // Exchanges number trades per symbol, so ids run in sequence within each symbol.
      id,
      // As the pipeline's parsers give the windows' ticks (`idNumbers`: src/pipeline/pipeline.ts,
      // the window worker), reading the id while they scan it; the same shape as theirs.
      idNum: integerId(id),
      side: i % 2 === 0 ? "buy" : "sell",
    });
  }
  return ticks;
}

// Candles must be consumed somewhere; a counter keeps the optimiser honest without cost.
let sink = 0;
const out = {
  candle: (c: Candle) => void (sink += c.trades),
  late: () => void sink++,
  duplicate: () => void sink++,
};

interface Ohlcv {
  ws: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
}

// The baseline: what one would write by hand for one interval, in arrival order, no watermark.
function ohlcvLoop(ticks: Tick[]): number {
  const state = new Map<string, Ohlcv>();
  for (const t of ticks) {
    const ws = t.ts - (t.ts % 60_000);
    const s = state.get(t.symbol);
    if (s === undefined || s.ws !== ws) {
      if (s !== undefined) sink += s.trades;
      state.set(t.symbol, {
        ws,
        open: t.price,
        high: t.price,
        low: t.price,
        close: t.price,
        volume: t.size ?? 0,
        trades: 1,
      });
    } else {
      if (t.price > s.high) s.high = t.price;
      if (t.price < s.low) s.low = t.price;
      s.close = t.price;
      s.volume += t.size ?? 0;
      s.trades++;
    }
  }
  return ticks.length;
}

let previous: CandleAggregator | null = null;

async function benchCandles(): Promise<void> {
  const ticks = makeTicks(1_000_000);
  const intervals = parseIntervals("1m,5m,1h");
  const r = await pairedRatio(() => ohlcvLoop(ticks), () => {
    const agg = new CandleAggregator({ intervals });
    // In production an aggregator lives as long as its partition. Holding the previous run's
    // keeps its classes' object shapes alive through the harness's forced GC between runs;
    // otherwise V8 drops them and deoptimises the hot path at the start of every run.
    previous = agg;
    for (let i = 0; i < ticks.length; i++) agg.add(ticks[i], out);
    agg.flush(out);
    return ticks.length;
  });
  report({
    bench: "candle_update_50x3",
    msgs_per_s: Math.round(r.candidate),
    baseline: "ohlcv_loop_1",
    baseline_msgs_per_s: Math.round(r.baseline),
    ratio: round(r.ratio),
  });
}

async function benchParse(): Promise<void> {
  // The shape of a typical feed message (~106 bytes): prices to the cent, sizes to 1e-4.
  const msgs = makeTicks(200_000).map((t) =>
    JSON.stringify({
      source: t.source,
      symbol: t.symbol.replace("C", "B"),
      price: Math.round(t.price * 100) / 100,
      size: Math.round((t.size ?? 0) * 10_000) / 10_000,
      ts: t.ts,
      id: t.id,
    })
  );
  const bytes = msgs.reduce((s, m) => s + m.length, 0) / msgs.length;
  const parser = new TickParser({ now: () => T0 + 10_000_000, idNumbers: true });
  const r = await pairedRatio(() => {
    for (let i = 0; i < msgs.length; i++) sink += (JSON.parse(msgs[i]) as Tick).price;
    return msgs.length;
  }, () => {
    for (let i = 0; i < msgs.length; i++) {
      const r = parser.parse(msgs[i]);
      if (r.ok) sink += r.tick.price;
    }
    return msgs.length;
  });
  report({
    bench: "tick_parse_validate",
    msgs_per_s: Math.round(r.candidate),
    baseline: "json_parse",
    baseline_msgs_per_s: Math.round(r.baseline),
    ratio: round(r.ratio),
    msg_bytes: Math.round(bytes),
  });
}

// Indicators and anomaly rules run per closed candle, not per tick: rows per second here.
async function benchIndicators(): Promise<void> {
  const candles: Candle[] = [];
  let close = 100;
  let seed = 7;
  for (let i = 0; i < 20_000; i++) {
    seed = (seed * 16807) % 2147483647;
    close *= 1 + (seed / 2147483647 - 0.5) / 100;
    const symbol = SYMBOLS[i % 50];
    const window_start = T0 + Math.floor(i / 50) * 60_000;
    candles.push({
      venue: "composite",
      symbol,
      interval: "1m",
      window_start,
      open: close,
      high: close,
      low: close,
      close,
      volume: 1 + (i % 7),
      vwap: close,
      trades: 10,
      first_ts: window_start,
      last_ts: window_start,
      version: 1,
    });
  }
  const rows = await bestThroughput(() => {
    const engine = new IndicatorEngine();
    const detector = new AnomalyDetector();
    for (const c of candles) {
      for (const row of engine.onCandle(c)) sink += detector.onIndicators(c, row).length;
    }
    return candles.length;
  });
  report({ bench: "indicators_anomaly", rows_per_s: Math.round(rows) });
}

await benchCandles();
await benchParse();
await benchIndicators();
if (sink === 42 && previous !== null) report({ bench: "unreachable" });
