import assert from "node:assert/strict";
import type { Candle } from "../../src/market/candle.ts";
import { CandleAggregator } from "../../src/market/candle_aggregator.ts";
import type { AggregatorOptions } from "../../src/market/candle_aggregator.ts";
import { parseIntervals } from "../../src/market/interval.ts";
import type { Tick } from "../../src/market/tick.ts";
import { integerId } from "../../src/market/tick_order.ts";
import {
  MAX_PRICE,
  MAX_SIZE,
  MIN_PRICE,
  MIN_SIZE,
  TickParser,
} from "../../src/market/tick_parser.ts";
import { TradeStats } from "../../src/market/trade_stats.ts";
import { mulberry32 } from "./prng.ts";

const T0 = 1_700_000_040_000; // a multiple of 1m, 5m … not of 1h
const M = 60_000;

interface Run {
  candles: Candle[];
  late: [Tick, string][];
  dups: Tick[];
  agg: CandleAggregator;
}

function run(ticks: Tick[], options: Partial<AggregatorOptions> = {}, flush = true): Run {
  const agg = new CandleAggregator({ intervals: parseIntervals("1m"), ...options });
  const r: Run = { candles: [], late: [], dups: [], agg };
  const out = {
    candle: (c: Candle) => r.candles.push(c),
    late: (t: Tick, d: string) => r.late.push([t, d]),
    duplicate: (t: Tick) => r.dups.push(t),
  };
  for (const t of ticks) agg.add(t, out);
  if (flush) agg.flush(out);
  return r;
}

function tick(ts: number, price: number, id: string, extra: Partial<Tick> = {}): Tick {
  return { source: "sim", symbol: "BTC-USD", price, size: 1, ts, id, ...extra };
}

Deno.test("CandleAggregator builds OHLCV, VWAP and counts for one window", () => {
  const r = run([
    tick(T0 + 10, 100, "1", { size: 2 }),
    tick(T0 + 20, 104, "2", { size: 1 }),
    tick(T0 + 30, 98, "3", { size: 1 }),
    tick(T0 + 40, 101, "4", { size: 4 }),
  ]);
  assert.deepEqual(r.candles, [{
    venue: "sim",
    symbol: "BTC-USD",
    interval: "1m",
    window_start: T0,
    open: 100,
    high: 104,
    low: 98,
    close: 101,
    volume: 8,
    vwap: (200 + 104 + 98 + 404) / 8,
    trades: 4,
    first_ts: T0 + 10,
    last_ts: T0 + 40,
    version: 1,
  }]);
});

Deno.test("CandleAggregator gives volume 0 and vwap null when sizes are unknown", () => {
  const r = run([tick(T0, 5, "1", { size: null }), tick(T0 + 1, 6, "2", { size: null })]);
  assert.equal(r.candles[0].volume, 0);
  assert.equal(r.candles[0].vwap, null);
  assert.equal(r.candles[0].trades, 2);
});

Deno.test("CandleAggregator emits a window only when the watermark reaches its end", () => {
  const r = run(
    [tick(T0, 1, "1"), tick(T0 + M + 1999, 2, "2")],
    { allowedLatenessMs: 2000 },
    false,
  );
  assert.equal(r.candles.length, 0);
  assert.equal(r.agg.watermark, T0 + M - 1);
  const out = { candle: (c: Candle) => r.candles.push(c), late: () => {}, duplicate: () => {} };
  r.agg.add(tick(T0 + M + 2000, 3, "3"), out);
  assert.equal(r.candles.length, 1);
  assert.equal(r.candles[0].window_start, T0);
});

Deno.test("CandleAggregator breaks event-time ties by id, numerically for integers", () => {
  const r = run([
    tick(T0, 2, "10"),
    tick(T0, 1, "9"),
    tick(T0 + 5, 3, "b10"),
    tick(T0 + 5, 4, "b9"),
  ]);
  assert.equal(r.candles[0].open, 1);
  assert.equal(r.candles[0].close, 4);
  const big = run([tick(T0, 7, "12345678901234567890"), tick(T0, 8, "9999999999999999999")]);
  assert.equal(big.candles[0].open, 8);
  // The same id from two venues: two trades, each in its own venue's candle (venue order).
  const sources = run([tick(T0, 7, "1", { source: "b" }), tick(T0, 8, "1", { source: "a" })]);
  assert.deepEqual(sources.candles.map((c) => [c.venue, c.open, c.trades]), [
    ["a", 8, 1],
    ["b", 7, 1],
  ]);
});

Deno.test("CandleAggregator revises an emitted window with version + 1 within the late-update window", () => {
  const r = run([
    tick(T0, 10, "1"),
    tick(T0 + M + 5000, 11, "2"), // watermark T0+M+3000: window T0 emitted
    tick(T0 + 30_000, 50, "3"), // late, revises
    tick(T0 + 2 * M + 62_000, 12, "4"), // watermark T0+3M: past T0's end + 60 s
    tick(T0 + 40_000, 60, "5"), // too late
  ]);
  const first = r.candles.filter((c) => c.window_start === T0);
  assert.deepEqual(first.map((c) => [c.version, c.high, c.trades]), [[1, 10, 1], [2, 50, 2]]);
  assert.equal(r.late.length, 1);
  assert.equal(r.late[0][0].id, "5");
  assert.match(r.late[0][1], /late-update limit/);
  assert.equal(r.agg.lateRevised, 1);
  assert.equal(r.agg.lateRejected, 1);
});

Deno.test("CandleAggregator sends a late tick to open longer windows and reports it late for the shorter", () => {
  const w5 = T0 - (T0 % (5 * M)) + 5 * M;
  const r = run([tick(w5, 10, "1"), tick(w5 + 3 * M, 11, "2"), tick(w5 + 10, 99, "3")], {
    intervals: parseIntervals("1m,5m"),
    lateUpdateWindowMs: 0,
    allowedLatenessMs: 0,
  });
  assert.equal(r.late.length, 1);
  assert.match(r.late[0][1], /for 1m \(/);
  const fiveMin = r.candles.find((c) => c.interval === "5m" && c.window_start === w5);
  assert.equal(fiveMin?.high, 99);
  assert.equal(fiveMin?.trades, 3);
  assert.equal(fiveMin?.volume, 3);
  assert.equal(fiveMin?.vwap, (10 + 11 + 99) / 3);
  const oneMin = r.candles.find((c) => c.interval === "1m" && c.window_start === w5);
  assert.equal(oneMin?.trades, 1);
  assert.equal(oneMin?.volume, 1);
});

Deno.test("CandleAggregator emits a window that closed empty as version 1 when a late tick fills it", () => {
  const r = run([tick(T0 + M + 30_000, 1, "1", { symbol: "ETH-USD" }), tick(T0, 5, "2")], {
    allowedLatenessMs: 0,
  });
  const btc = r.candles.filter((c) => c.symbol === "BTC-USD");
  assert.deepEqual(btc.map((c) => [c.window_start, c.version]), [[T0, 1]]);
  assert.equal(r.agg.lateRevised, 1);
});

Deno.test("CandleAggregator counts a repeated (source, symbol, id) once, even after the window closed", () => {
  const r = run([
    tick(T0, 10, "1"),
    tick(T0 + 1, 20, "1"),
    tick(T0 + 2, 30, "1", { source: "other" }),
    tick(T0 + M + 3000, 11, "2"),
    tick(T0, 10, "1"), // the window is emitted but revisable: still a duplicate, no revision
  ]);
  assert.equal(r.dups.length, 2);
  assert.equal(r.agg.duplicates, 2);
  const first = r.candles.filter((c) => c.window_start === T0);
  assert.deepEqual(first.map((c) => [c.venue, c.trades, c.version]), [
    ["other", 1, 1],
    ["sim", 1, 1],
  ]);
});

Deno.test("CandleAggregator.flush() emits open windows in order and leaves the watermark where it was", () => {
  const r = run([
    tick(T0 + M, 1, "1", { symbol: "ETH-USD" }),
    tick(T0, 2, "2"),
    tick(T0 + M, 3, "3"),
  ], {
    intervals: parseIntervals("1m,5m"),
  });
  const w5 = T0 - (T0 % (5 * M)) - T0;
  assert.deepEqual(
    r.candles.map((c) => `${c.window_start - T0}/${c.interval}/${c.symbol}`),
    // By window end, then interval, then symbol: [w5, w5+5m) ends with [0, 1m).
    [
      "0/1m/BTC-USD",
      `${w5}/5m/BTC-USD`,
      "60000/1m/BTC-USD",
      "60000/1m/ETH-USD",
      "60000/5m/BTC-USD",
      "60000/5m/ETH-USD",
    ],
  );
  // The watermark stays: the largest event time minus the allowed lateness (2 s by default).
  assert.equal(r.agg.watermark, T0 + M - 2000);
});

function collector() {
  const c = { candles: [] as Candle[], late: [] as string[], dups: 0 };
  return {
    c,
    out: {
      candle: (x: Candle) => c.candles.push(x),
      late: (_t: Tick, d: string) => c.late.push(d),
      duplicate: () => c.dups++,
    },
  };
}

const ohlcv = (x: Candle) => [x.window_start, x.open, x.high, x.low, x.close, x.volume, x.trades];

Deno.test("CandleAggregator after flush(): a tick for a window emitted early revises it when the watermark closes it", () => {
  const before = [tick(T0 + 1000, 10, "1"), tick(T0 + 2000, 12, "2")];
  const after = [tick(T0 + 30_000, 15, "3"), tick(T0 + 40_000, 9, "4")];
  const agg = new CandleAggregator({ intervals: parseIntervals("1m") });
  const { c, out } = collector();
  for (const t of before) agg.add(t, out);
  agg.flush(out);
  assert.deepEqual(c.candles.map((x) => [x.version, x.close, x.trades]), [[1, 12, 2]]);
  for (const t of after) agg.add(t, out);
  // Still open: nothing yet, nothing late.
  assert.equal(c.candles.length, 1);
  assert.equal(c.late.length, 0);
  agg.add(tick(T0 + M + 5000, 20, "5"), out); // the watermark passes T0 + M
  assert.equal(c.candles.length, 2);
  assert.equal(c.candles[1].version, 2);
  // The revision holds every tick of the window, as one uninterrupted run computes it.
  const reference = run([...before, ...after]).candles;
  assert.deepEqual(ohlcv(c.candles[1]), ohlcv(reference[0]));
  agg.flush(out);
  assert.deepEqual(c.candles.map((x) => [x.window_start - T0, x.version]), [
    [0, 1],
    [0, 2],
    [M, 1],
  ]);
});

Deno.test("CandleAggregator after flush(): unchanged windows are not emitted again; new windows and late ticks follow the normal rules", () => {
  const agg = new CandleAggregator({ intervals: parseIntervals("1m"), lateUpdateWindowMs: M });
  const { c, out } = collector();
  agg.add(tick(T0 + 1000, 10, "1"), out);
  agg.flush(out);
  agg.flush(out); // nothing changed: nothing emitted
  assert.equal(c.candles.length, 1);
  // Live data an hour later: new windows, emitted when the watermark passes them.
  agg.add(tick(T0 + 60 * M, 11, "2"), out);
  agg.add(tick(T0 + 61 * M + 3000, 12, "3"), out);
  assert.deepEqual(c.candles.map((x) => [x.window_start - T0, x.version]), [
    [0, 1],
    [60 * M, 1],
  ]);
  // A tick for the early window, now past its late-update limit: late, as for any window.
  agg.add(tick(T0 + 2000, 13, "4"), out);
  assert.equal(c.late.length, 1);
  assert.equal(c.dups, 0);
});

Deno.test("CandleAggregator.advanceTo() closes windows of an idle partition and never lowers the watermark", () => {
  const r = run([tick(T0, 1, "1")], {}, false);
  const candles: Candle[] = [];
  const out = { candle: (c: Candle) => candles.push(c), late: () => {}, duplicate: () => {} };
  r.agg.advanceTo(T0 + M - 1, out);
  assert.equal(candles.length, 0);
  r.agg.advanceTo(T0 + M, out);
  assert.equal(candles.length, 1);
  r.agg.advanceTo(T0, out);
  assert.equal(r.agg.watermark, T0 + M);
  // The watermark now governs: a tick at T0 + M + 1000 must not pull it back.
  r.agg.add(tick(T0 + M + 1000, 1, "2"), out);
  assert.equal(r.agg.watermark, T0 + M);
});

Deno.test("CandleAggregator forgets duplicate-tracking state once windows can no longer change", () => {
  const ticks: Tick[] = [];
  for (let i = 0; i < 3000; i++) ticks.push(tick(T0 + i * 1000, 1, `x${i}`));
  const r = run(ticks, { intervals: parseIntervals("1m"), lateUpdateWindowMs: 0 }, false);
  assert.ok(r.agg.stateSize.seenIds <= 120, `seenIds ${r.agg.stateSize.seenIds}`);
  assert.ok(r.agg.stateSize.windows <= 2, `windows ${r.agg.stateSize.windows}`);
  const ints: Tick[] = [];
  for (let i = 0; i < 3000; i++) ints.push(tick(T0 + i * 10, 1, String(1000 + i)));
  const r2 = run(ints, { intervals: parseIntervals("1m,1h") }, false);
  assert.equal(r2.agg.stateSize.seenIds, 1, "a gap-free integer id run is one range");
});

// ---- property: determinism across arrival order, and agreement with an independent reference

const SYMBOLS = ["BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD"];
const SOURCES = ["a", "b", "c"];

function generate(seed: number, n: number, exact: boolean): Tick[] {
  const rnd = mulberry32(seed);
  const ticks: Tick[] = [];
  let ts = T0 - 7 * M;
  for (let i = 0; i < n; i++) {
    if (i > 10 && rnd() < 0.05) {
      // A redelivery: an exact copy of a recent tick.
      ticks.push({ ...ticks[i - 1 - Math.floor(rnd() * 10)] });
      continue;
    }
    ts += Math.floor(rnd() * 4000);
    const style = rnd();
    const id = style < 0.6 ? String(i) : style < 0.9 ? `t${i}` : `9${String(i).padStart(19, "0")}`;
    const price = exact ? Math.floor(1000 + rnd() * 1000) / 64 : 100 + rnd() * 10;
    const size = rnd() < 0.1 ? null : exact ? Math.floor(rnd() * 1000) / 1024 : rnd();
    ticks.push({
      source: SOURCES[Math.floor(rnd() * 3)],
      symbol: SYMBOLS[Math.floor(rnd() * 4)],
      price,
      size,
      // Equal timestamps are common, so the id tie-break matters.
      ts: rnd() < 0.3 ? ts : ts - Math.floor(rnd() * 3),
      id,
    });
  }
  return ticks;
}

// Each tick arrives at ts + a delay in [0, lateness): never after the watermark passed it.
function shuffleWithinLateness(ticks: Tick[], seed: number, lateness: number): Tick[] {
  const rnd = mulberry32(seed);
  return ticks.map((t) => ({ t, at: t.ts + rnd() * lateness }))
    .sort((a, b) => a.at - b.at).map((x) => x.t);
}

function compareRefIds(a: string, b: string): number {
  const int = /^\d+$/;
  if (int.test(a) && int.test(b) && BigInt(a) !== BigInt(b)) return BigInt(a) < BigInt(b) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function reference(ticks: Tick[], intervalMs: Record<string, number>): Map<string, Candle> {
  const seen = new Set<string>();
  const unique = ticks.filter((t) => {
    const k = JSON.stringify([t.source, t.symbol, t.id]);
    return seen.has(k) ? false : (seen.add(k), true);
  });
  const groups = new Map<string, Tick[]>();
  for (const t of unique) {
    for (const [name, ms] of Object.entries(intervalMs)) {
      // Per venue: a venue's candle holds its own trades only.
      const k = `${t.source}|${t.symbol}|${name}|${Math.floor(t.ts / ms) * ms}`;
      groups.set(k, [...(groups.get(k) ?? []), t]);
    }
  }
  const out = new Map<string, Candle>();
  for (const [k, g] of groups) {
    const [venue, symbol, interval, ws] = k.split("|");
    g.sort((a, b) => a.ts - b.ts || compareRefIds(a.id, b.id) || (a.source < b.source ? -1 : 1));
    const volume = g.reduce((s, t) => s + (t.size ?? 0), 0);
    const pv = g.reduce((s, t) => s + t.price * (t.size ?? 0), 0);
    out.set(k, {
      venue,
      symbol,
      interval,
      window_start: Number(ws),
      open: g[0].price,
      high: Math.max(...g.map((t) => t.price)),
      low: Math.min(...g.map((t) => t.price)),
      close: g[g.length - 1].price,
      volume,
      vwap: volume > 0 ? pv / volume : null,
      trades: g.length,
      first_ts: g[0].ts,
      last_ts: g[g.length - 1].ts,
      version: 1,
    });
  }
  return out;
}

function checkAgainstReference(spec: string, seed: number): void {
  const intervals = parseIntervals(spec);
  const ticks = generate(seed, 4000, true);
  const ordered = [...ticks].sort((a, b) => a.ts - b.ts);
  const baseline = run(ordered, { intervals });
  assert.equal(baseline.late.length, 0);
  const ref = reference(ticks, Object.fromEntries(intervals.map((i) => [i.name, i.ms])));
  assert.equal(baseline.candles.length, ref.size);
  for (const c of baseline.candles) {
    assert.deepEqual(c, ref.get(`${c.venue}|${c.symbol}|${c.interval}|${c.window_start}`));
  }
  const expected = JSON.stringify(baseline.candles);
  for (let s = 1; s <= 10; s++) {
    const shuffled = shuffleWithinLateness(ticks, s, 2000);
    const r = run(shuffled, { intervals });
    assert.equal(JSON.stringify(r.candles), expected, `arrival order seed ${s}`);
    assert.equal(r.dups.length, baseline.dups.length);
  }
}

Deno.test("CandleAggregator matches an independent reference and is identical under any arrival order within lateness", () => {
  checkAgainstReference("1m,5m,1h", 42);
});

Deno.test("CandleAggregator handles intervals that do not divide each other (2m, 3m, 7m)", () => {
  checkAgainstReference("2m,3m,7m", 43);
});

Deno.test("CandleAggregator is byte-identical across arrival orders with inexact float sizes", () => {
  const intervals = parseIntervals("1m,5m");
  const ticks = generate(9, 3000, false);
  const a = JSON.stringify(run(shuffleWithinLateness(ticks, 1, 2000), { intervals }).candles);
  for (let seed = 2; seed <= 8; seed++) {
    const b = JSON.stringify(run(shuffleWithinLateness(ticks, seed, 2000), { intervals }).candles);
    assert.equal(b, a, `seed ${seed}`);
  }
});

Deno.test("CandleAggregator output does not depend on how input is chunked or when idle advances stay below the watermark", () => {
  const intervals = parseIntervals("1m,5m,1h");
  const ticks = shuffleWithinLateness(generate(5, 2000, true), 3, 2000);
  const whole = JSON.stringify(run(ticks, { intervals }).candles);
  const rnd = mulberry32(11);
  const agg = new CandleAggregator({ intervals });
  const candles: Candle[] = [];
  const out = { candle: (c: Candle) => candles.push(c), late: () => {}, duplicate: () => {} };
  let i = 0;
  while (i < ticks.length) {
    const end = Math.min(ticks.length, i + 1 + Math.floor(rnd() * 50));
    for (; i < end; i++) agg.add(ticks[i], out);
    agg.advanceTo(agg.watermark - 1, out); // a no-op advance between chunks
  }
  agg.flush(out);
  assert.equal(JSON.stringify(candles), whole);
});

Deno.test("CandleAggregator accepts a late tick until the watermark reaches window end + late-update window", () => {
  const options = { allowedLatenessMs: 0, lateUpdateWindowMs: 10_000 };
  const accepted = run(
    [tick(T0, 1, "1"), tick(T0 + M + 9_999, 2, "2"), tick(T0 + 5, 9, "3")],
    options,
  );
  assert.deepEqual(accepted.candles.filter((c) => c.window_start === T0).map((c) => c.version), [
    1,
    2,
  ]);
  const rejected = run(
    [tick(T0, 1, "1"), tick(T0 + M + 10_000, 2, "2"), tick(T0 + 5, 9, "3")],
    options,
  );
  assert.deepEqual(rejected.candles.filter((c) => c.window_start === T0).map((c) => c.version), [
    1,
  ]);
  assert.equal(rejected.late.length, 1);
});

Deno.test("CandleAggregator turns a tick delayed past an idle advance into a revision", () => {
  const r = run([tick(T0, 1, "1")], {}, false);
  const candles: Candle[] = [];
  const out = { candle: (c: Candle) => candles.push(c), late: () => {}, duplicate: () => {} };
  r.agg.advanceTo(T0 + M, out); // the feed went quiet; the reader advanced on processing time
  r.agg.add(tick(T0 + 30_000, 5, "2"), out);
  assert.deepEqual(candles.map((c) => [c.version, c.trades, c.high]), [[1, 1, 1], [2, 2, 5]]);
});

Deno.test("CandleAggregator.admits() refuses a symbol beyond maxSymbols until another's state empties", () => {
  const agg = new CandleAggregator({ intervals: parseIntervals("1m"), maxSymbols: 2 });
  const out = { candle: () => {}, late: () => {}, duplicate: () => {} };
  agg.add(tick(T0, 1, "1", { symbol: "A-USD" }), out);
  agg.add(tick(T0 + 1, 1, "1", { symbol: "B-USD" }), out);
  assert.equal(agg.admits("sim", "A-USD"), true, "a symbol with state always passes");
  assert.equal(agg.admits("sim", "C-USD"), false, "a third symbol is refused");
  assert.equal(agg.admits("kraken", "A-USD"), false, "another venue's series counts apart");
  // A goes quiet; once its window is final and past the late-update window, it holds nothing.
  agg.add(tick(T0 + 10 * M, 1, "2", { symbol: "B-USD" }), out);
  assert.equal(agg.symbols, 1, "A's emptied state was dropped");
  assert.equal(agg.admits("sim", "C-USD"), true);
});

Deno.test("CandleAggregator: dropping emptied symbol state changes no candle (random input)", () => {
  const rand = mulberry32(77);
  const intervals = parseIntervals("1m,5m");
  const symbols = Array.from({ length: 12 }, (_, i) => `S${i}-USD`);
  const ticks: Tick[] = [];
  let ts = T0;
  for (let i = 0; i < 6000; i++) {
    // Bursts of a few symbols at a time, with silences long enough for state to empty.
    ts += Math.floor(rand() * 3000);
    const group = Math.floor(ts / (20 * M)) % 4;
    const symbol = symbols[group * 3 + Math.floor(rand() * 3)];
    const late = rand() < 0.05 ? Math.floor(rand() * 90_000) : 0;
    ticks.push(tick(ts - late, 100 + rand(), String(i), { symbol }));
  }
  const limited = new CandleAggregator({ intervals, maxSymbols: 4 });
  const admitted: Tick[] = [];
  const got: Candle[] = [];
  const out = { candle: (c: Candle) => got.push(c), late: () => {}, duplicate: () => {} };
  let refused = 0;
  for (const t of ticks) {
    if (!limited.admits(t.source, t.symbol)) {
      refused++;
      continue;
    }
    admitted.push(t);
    limited.add(t, out);
  }
  limited.flush(out);
  const reference = run(admitted, { intervals });
  assert.ok(refused > 0, "the limit was reached");
  assert.ok(admitted.length > ticks.length / 2, "most ticks were admitted");
  assert.deepEqual(got, reference.candles);
});

Deno.test("CandleAggregator: venues of one symbol stay apart while their states are dropped and made again", () => {
  // Several venues per symbol, each (venue, symbol) series going quiet and coming back, so that
  // some of a symbol's venue states are dropped while others live on. A venue's candles depend on
  // its own ticks alone: the mixed run, filtered to one venue, must equal a run of that venue's
  // ticks only (in event-time order, so both see the same final windows).
  const rand = mulberry32(91);
  const intervals = parseIntervals("1m,5m");
  const venues = ["v0", "v1", "v2"];
  const ticks: Tick[] = [];
  let ts = T0;
  for (let i = 0; i < 8000; i++) {
    ts += Math.floor(rand() * 2000);
    const phase = Math.floor(ts / (15 * M)) % 3;
    const s = Math.floor(rand() * 6);
    // In each phase one venue of each symbol is quiet (a different one per symbol).
    const v = [0, 1, 2].filter((k) => (k + s) % 3 !== phase)[Math.floor(rand() * 2)];
    ticks.push(tick(ts, 100 + rand(), String(i), { symbol: `S${s}-USD`, source: venues[v] }));
  }
  const agg = new CandleAggregator({ intervals });
  const got: Candle[] = [];
  const out = { candle: (c: Candle) => got.push(c), late: () => {}, duplicate: () => {} };
  let fewest = Infinity;
  for (const t of ticks) {
    agg.add(t, out);
    if (t.ts > T0 + 20 * M) fewest = Math.min(fewest, agg.symbols);
  }
  agg.flush(out);
  assert.ok(fewest < venues.length * 6, `quiet series' states were dropped (fewest ${fewest})`);
  for (const venue of venues) {
    const alone = run(ticks.filter((t) => t.source === venue), { intervals });
    assert.deepEqual(got.filter((c) => c.venue === venue), alone.candles, venue);
    assert.ok(alone.candles.length > 0);
  }
});

Deno.test("CandleAggregator: ticks at the price and size ceilings give a finite volume and VWAP", () => {
  const top = [1, 2, 3].map((i) => tick(T0 + i, MAX_PRICE, String(i), { size: MAX_SIZE }));
  const [c] = run(top).candles;
  // Exact but for the rounding of each price × size (1e27 is not a double): within 2 ulps.
  const near = (x: number | null, want: number) =>
    assert.ok(x !== null && Math.abs(x - want) <= want * 2 ** -51, `${x} ≈ ${want}`);
  assert.equal(c.volume, 3 * MAX_SIZE);
  near(c.vwap, MAX_PRICE);
  // 2^32 such ticks, by doubling merged statistics: the sums stay far below the largest double.
  let stats = new TradeStats();
  stats.add(top[0], 1);
  for (let i = 0; i < 32; i++) {
    const twice = new TradeStats();
    twice.merge(stats);
    twice.merge(stats);
    stats = twice;
  }
  const big = stats.toCandle("sim", "BTC-USD", "1m", T0, 1);
  assert.equal(big.trades, 2 ** 32);
  assert.equal(big.volume, 2 ** 32 * MAX_SIZE);
  near(big.vwap, MAX_PRICE);
  // At the floors, each price × size is a normal double: the VWAP stays the price, not 0.
  const [low] = run([tick(T0 + 1, MIN_PRICE, "1", { size: MIN_SIZE })]).candles;
  near(low.vwap, MIN_PRICE);
});

Deno.test("CandleAggregator: ticks from a parser with idNumbers give the same candles, duplicates and late ticks", () => {
  const parser = new TickParser({ idNumbers: true });
  const rnd = mulberry32(31);
  const plain: Tick[] = [];
  const parsed: Tick[] = [];
  for (let i = 0; i < 5_000; i++) {
    // Ids that order numerically, lexically, or collide only as numbers ("7" and "007").
    const n = Math.floor(rnd() * 4_000);
    const id = rnd() < 0.1 ? `0${n}` : rnd() < 0.1 ? `x${n}` : String(n);
    const t = tick(T0 + Math.floor(i * 30 - rnd() * 20_000), 100 + Math.floor(rnd() * 50), id, {
      source: rnd() < 0.5 ? "a" : "b",
    });
    plain.push(t);
    const r = parser.parseTick(JSON.stringify(t));
    if ("ok" in r) throw new Error(r.detail);
    assert.equal(r.idNum, integerId(t.id));
    parsed.push(r);
  }
  const options = {
    intervals: parseIntervals("1m,5m"),
    allowedLatenessMs: 5_000,
    lateUpdateWindowMs: 5_000,
  };
  const a = run(plain, options);
  const b = run(parsed, options);
  assert.ok(a.dups.length > 100 && a.late.length > 100, `${a.dups.length} ${a.late.length}`);
  assert.deepEqual(b.candles, a.candles);
  assert.deepEqual(b.dups.map((t) => t.id), a.dups.map((t) => t.id));
  assert.deepEqual(b.late.map(([t, d]) => [t.id, d]), a.late.map(([t, d]) => [t.id, d]));
});
