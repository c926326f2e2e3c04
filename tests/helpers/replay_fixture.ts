/**
 * Generates replay files with known trouble in them — out-of-order ticks within the allowed
 * lateness, late ticks inside and beyond the late-update window, duplicates, bad lines — and
 * computes the expected candles independently of the product's aggregator: a plain model of the
 * documented semantics (per-partition watermark, per-interval late rules, exact sums).
 * @module
 */
import { partitionOf } from "../../src/connectors/kafka/murmur2.ts";
import type { Candle } from "../../src/market/candle.ts";
import { referenceComposite, type ReferenceOptions } from "./composite_reference.ts";
import { Prng } from "../../src/feeds/prng.ts";

/** A generated tick, as the truth the file was written from. */
export interface FixtureTick {
  source: string;
  symbol: string;
  price: number;
  size: number;
  ts: number;
  id: string;
}

/** What the fixture contains. */
export interface ReplayFixture {
  /** NDJSON lines, in file order. */
  lines: string[];
  /** Valid ticks in file order (duplicates included). */
  valid: FixtureTick[];
  /** Bad lines with the reason the parser must give: [line number (1-based), reason]. */
  bad: [number, string][];
}

/** Options of {@linkcode generateReplay}. */
export interface FixtureOptions {
  seed: number;
  ticks: number;
  symbols: readonly string[];
  start: number;
  /** Mean event-time gap between consecutive ticks (ms). */
  gapMs: number;
  /**
   * Venues (the ticks' `source`), each trading every symbol at its own price level (the first
   * at the symbol's price, each next one 0.1 % higher). Default `["fixture"]`.
   */
  venues?: readonly string[];
}

/** Writes a fixture with ~2 % out-of-order, ~1 % duplicate, ~0.5 % late, ~0.5 % bad lines. */
export function generateReplay(o: FixtureOptions): ReplayFixture {
  const rng = new Prng(o.seed);
  const lines: string[] = [];
  const valid: FixtureTick[] = [];
  const bad: [number, string][] = [];
  const prices = new Map(o.symbols.map((s, i) => [s, 100 * (i + 1)]));
  const venues = o.venues ?? ["fixture"];
  let ts = o.start;
  let id = 1;
  const emit = (t: FixtureTick) => {
    valid.push(t);
    lines.push(JSON.stringify({ ...t, price: String(t.price), ts: t.ts }));
  };
  for (let n = 0; n < o.ticks; n++) {
    ts += 1 + Math.floor(rng.exponential(o.gapMs));
    const symbol = o.symbols[rng.int(o.symbols.length)];
    const price = round(prices.get(symbol)! * Math.exp(rng.normal() * 0.002), 2);
    prices.set(symbol, price);
    const v = venues.length === 1 ? 0 : rng.int(venues.length);
    const tick = {
      source: venues[v],
      symbol,
      price: round(price * (1 + v * 0.001), 2),
      size: round(0.001 + rng.next() * 2, 6),
      ts,
      id: String(id++),
    };
    const r = rng.next();
    if (r < 0.02) {
      // Out of order, but within the 2 s allowed lateness.
      emit({ ...tick, ts: ts - 1 - rng.int(1500) });
    } else if (r < 0.025) {
      // Late: 10–50 s past a 1m window's end (revises it), or 3–10 min (rejected for 1m).
      const back = rng.next() < 0.5 ? 70_000 + rng.int(40_000) : 180_000 + rng.int(420_000);
      emit({ ...tick, ts: ts - back });
    } else if (r < 0.03) {
      bad.push([lines.length + 1, "bad_price"]);
      lines.push(JSON.stringify({ ...tick, price: -tick.price }));
    } else if (r < 0.033) {
      bad.push([lines.length + 1, "malformed_json"]);
      lines.push(`{"source":"fixture","symbol":"${symbol}",`);
    } else if (r < 0.035) {
      bad.push([lines.length + 1, "missing_field"]);
      lines.push(JSON.stringify({ ...tick, id: undefined }));
    } else {
      emit(tick);
    }
    if (rng.next() < 0.01 && valid.length > 0) {
      // A duplicate of a recent tick (a reconnecting feed sends some again).
      emit({ ...valid[Math.max(0, valid.length - 1 - rng.int(5))] });
    }
  }
  return { lines, valid, bad };
}

/** Interval lengths by name, for the reference model. */
export const INTERVAL_MS: Record<string, number> = { "1m": 60_000, "5m": 300_000, "1h": 3_600_000 };

/**
 * The expected final candles: the documented semantics written plainly. Ticks are taken in file
 * order per partition; a tick counts for an interval unless its window ended more than the
 * late-update window before the partition's watermark; duplicates of (source, symbol, id) count
 * once; one candle per venue (the tick's source); open/close by (ts, numeric id); sums exact
 * (correctly rounded). Versions: 1 plus one per accepted tick that arrived after the window was
 * emitted (a window that closed empty is emitted first, as version 1, by its first late tick).
 * Then each window's composite (composite_reference.ts) from its venue candles, whose version
 * counts the same way over every venue's ticks of the window: the venues of a symbol close a
 * window together, and each later tick revises one venue candle and so the composite once.
 */
export function expectedCandles(
  valid: readonly FixtureTick[],
  o: {
    partitions: number;
    intervals: readonly string[];
    latenessMs: number;
    lateUpdateMs: number;
    composite?: ReferenceOptions;
  },
): Candle[] {
  const maxTs = new Map<number, number>();
  const seen = new Set<string>();
  const windows = new Map<string, { ticks: FixtureTick[]; emittedBefore: number; late: number }>();
  const mixed = new Map<string, { ticks: number; late: number }>();
  for (const t of valid) {
    const key = `${t.source}|${t.symbol}|${t.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const p = partitionOf(t.symbol, o.partitions);
    const wm = (maxTs.get(p) ?? -Infinity) - o.latenessMs;
    for (const interval of o.intervals) {
      const ms = INTERVAL_MS[interval];
      const start = Math.floor(t.ts / ms) * ms;
      if (start + ms + o.lateUpdateMs <= wm) continue; // rejected as late
      const wkey = `${t.source}|${t.symbol}|${interval}|${start}`;
      let w = windows.get(wkey);
      if (!w) windows.set(wkey, w = { ticks: [], emittedBefore: 0, late: 0 });
      w.ticks.push(t);
      // A window already emitted is revised; one that closed empty is first emitted by this tick.
      if (start + ms <= wm && w.ticks.length > 1) w.late++;
      const mkey = `${t.symbol}|${interval}|${start}`;
      let m = mixed.get(mkey);
      if (!m) mixed.set(mkey, m = { ticks: 0, late: 0 });
      m.ticks++;
      if (start + ms <= wm && m.ticks > 1) m.late++;
    }
    maxTs.set(p, Math.max(maxTs.get(p) ?? -Infinity, t.ts));
  }
  const out: Candle[] = [];
  for (const [wkey, w] of windows) {
    const [venue, symbol, interval, startText] = wkey.split("|");
    const sorted = [...w.ticks].sort((a, b) => a.ts - b.ts || Number(a.id) - Number(b.id));
    const volume = exactSum(sorted.map((t) => t.size));
    out.push({
      venue,
      symbol,
      interval,
      window_start: Number(startText),
      open: sorted[0].price,
      high: Math.max(...sorted.map((t) => t.price)),
      low: Math.min(...sorted.map((t) => t.price)),
      close: sorted.at(-1)!.price,
      volume,
      vwap: volume === 0 ? null : exactSum(sorted.map((t) => t.price * t.size)) / volume,
      trades: sorted.length,
      first_ts: sorted[0].ts,
      last_ts: sorted.at(-1)!.ts,
      version: 1 + w.late,
    });
  }
  for (const [mkey, m] of mixed) {
    const [symbol, interval, startText] = mkey.split("|");
    const start = Number(startText);
    const members = out.filter((c) =>
      c.symbol === symbol && c.interval === interval && c.window_start === start
    );
    const c = referenceComposite(members, INTERVAL_MS[interval], 1 + m.late, o.composite);
    if (c) out.push(c);
  }
  return out.sort(compareCandles);
}

/** A candle as the SQLite store keeps it (composite members as JSON text) → the Candle. */
export function fromSqliteRow(r: Record<string, unknown>): Candle {
  const { instrument, constituents, excluded, ...rest } = r;
  const c =
    (instrument === null || instrument === undefined
      ? rest
      : { ...rest, instrument }) as unknown as Candle;
  if (constituents === null || constituents === undefined) return c;
  return {
    ...c,
    constituents: JSON.parse(String(constituents)),
    excluded: JSON.parse(String(excluded)),
  };
}

/** Orders candles by symbol, interval, window start, venue. */
export function compareCandles(a: Candle, b: Candle): number {
  if (a.symbol === b.symbol && a.interval === b.interval && a.window_start === b.window_start) {
    return a.venue < b.venue ? -1 : a.venue > b.venue ? 1 : 0;
  }
  return a.symbol < b.symbol
    ? -1
    : a.symbol > b.symbol
    ? 1
    : a.interval < b.interval
    ? -1
    : a.interval > b.interval
    ? 1
    : a.window_start - b.window_start;
}

const SCALE = 2 ** 200;
/** The correctly rounded exact sum of doubles, via big integers (independent of ExactSum). */
export function exactSum(xs: readonly number[]): number {
  let total = 0n;
  for (const x of xs) total += BigInt(x * SCALE);
  return Number(total) / SCALE;
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
