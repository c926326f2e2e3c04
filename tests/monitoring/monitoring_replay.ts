/**
 * The replay the monitoring tests feed through a real pipeline: two symbols over the 150 minutes
 * before "now" (so every dashboard's default time range covers it), with the events the
 * dashboards exist to show — a price jump and a volume burst per symbol (so the anomaly rules
 * raise `price_spike`, `volume_spike` and `band_breakout` alerts of every severity), late ticks
 * that revise a closed candle and ones too late to count, duplicates, and bad lines.
 * @module
 */
import { Prng } from "../../src/feeds/prng.ts";

/** The replay and the events planted in it. */
export interface MonitoringReplay {
  /** NDJSON lines in file order. */
  readonly lines: string[];
  readonly symbols: readonly string[];
  /** Start of the first minute, and event time of the last regular tick (epoch ms). */
  readonly fromMs: number;
  readonly toMs: number;
  /** Minute starts (epoch ms) of the planted events, per symbol. */
  readonly priceJumps: Readonly<Record<string, number>>;
  readonly volumeBursts: Readonly<Record<string, number>>;
}

const MINUTE = 60_000;
const MINUTES = 150;

/**
 * Builds the replay for a run at `nowMs`. Deterministic apart from the time offset: the same
 * seed gives the same prices, sizes and events relative to the first minute.
 */
export function monitoringReplay(nowMs: number, seed = 8): MonitoringReplay {
  const rng = new Prng(seed);
  const symbols = ["BTC-USD", "ETH-USD"];
  const start = Math.floor(nowMs / MINUTE) * MINUTE - (MINUTES + 2) * MINUTE;
  // A jump well past |z| = 8 (critical) against ~0.3 % per-minute noise, and bursts of 30× and
  // 7× the usual volume (critical and warning volume spikes); each far from the others, so the
  // per-rule cooldown (5 min) never hides one.
  const priceJumps: Record<string, number> = {
    "BTC-USD": start + 100 * MINUTE,
    "ETH-USD": start + 80 * MINUTE,
  };
  const jumpFactor: Record<string, number> = { "BTC-USD": 1.06, "ETH-USD": 0.95 };
  const volumeBursts: Record<string, number> = {
    "BTC-USD": start + 125 * MINUTE,
    "ETH-USD": start + 110 * MINUTE,
  };
  const burstFactor: Record<string, number> = { "BTC-USD": 30, "ETH-USD": 7 };
  const price = new Map(symbols.map((s, i) => [s, i === 0 ? 97_000 : 3_600]));
  const jumped = new Set<string>();
  const lines: string[] = [];
  const recent: string[] = [];
  let id = 1;
  let ts = start;
  let last = start;
  const end = start + MINUTES * MINUTE;
  while (true) {
    ts += 200 + rng.int(600); // ~2 ticks per second in total
    if (ts >= end) break;
    last = ts;
    const symbol = symbols[rng.int(symbols.length)];
    let p = price.get(symbol)! * Math.exp(rng.normal() * 0.0004);
    if (!jumped.has(symbol) && ts >= priceJumps[symbol]) {
      jumped.add(symbol);
      p *= jumpFactor[symbol];
    }
    price.set(symbol, p);
    const inBurst = ts >= volumeBursts[symbol] && ts < volumeBursts[symbol] + MINUTE;
    const size = (0.2 + rng.next()) * (inBurst ? burstFactor[symbol] : 1);
    const tick = {
      source: "fixture",
      symbol,
      price: p.toFixed(2),
      size: Number(size.toFixed(6)),
      ts,
      id: String(id++),
    };
    const line = JSON.stringify(tick);
    lines.push(line);
    recent.push(line);
    if (recent.length > 20) recent.shift();
    const minute = Math.floor((ts - start) / MINUTE);
    const second = (ts - start) % MINUTE;
    // Once per planted minute (mid-minute, so the previous window is closed but still revisable):
    // a late tick that revises the previous 1m candle, one too late to count, a duplicate and
    // three bad lines.
    if (minute % 30 === 15 && second >= 30_000 && second < 30_800) {
      const late = (back: number) =>
        JSON.stringify({ ...tick, price: p.toFixed(2), ts: ts - back, id: String(id++) });
      lines.push(late(45_000)); // the previous minute: revised (within the late-update window)
      lines.push(late(10 * MINUTE)); // ten minutes back: rejected for 1m and 5m
      lines.push(recent[0]); // a duplicate of an earlier tick
      lines.push(`{"source":"fixture","symbol":"${symbol}",`); // malformed_json
      lines.push(JSON.stringify({ ...tick, id: String(id++), price: "-1" })); // bad_price
      lines.push(JSON.stringify({ ...tick, id: undefined })); // missing_field
    }
  }
  return { lines, symbols, fromMs: start, toMs: last, priceJumps, volumeBursts };
}
