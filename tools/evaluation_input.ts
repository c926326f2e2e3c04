/**
 * The evaluation's input: closed candles per venue and symbol, built from a replay file or the simulator
 * with the pipeline's own parser, replay reader and candle aggregator.
 * @module
 */
import type { Clock } from "../src/clock.ts";
import { createReplay } from "../src/feeds/replay.ts";
import { createSimulator } from "../src/feeds/simulator.ts";
import type { Source } from "../src/feeds/source.ts";
import type { Candle } from "../src/market/candle.ts";
import { CandleAggregator } from "../src/market/candle_aggregator.ts";
import { parseInterval } from "../src/market/interval.ts";
import { TickParser } from "../src/market/tick_parser.ts";

/** Closed candles of one key, in window order, each in its final version. */
export interface CandleSeries {
  readonly intervalMs: number;
  readonly candles: Candle[];
}

/** What was read. */
export interface EvaluationInput {
  readonly series: Map<string, CandleSeries>;
  readonly ticks: number;
  readonly rejected: number;
}

// A fixed processing time: only dead letters and the simulator's start read it, and the
// evaluation must not depend on when it runs.
const FIXED_NOW = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const fixedClock: Clock = {
  now: () => FIXED_NOW,
  monotonic: () => 0,
  setTimeout: () => 0,
  clearTimeout: () => {},
  sleep: () => Promise.resolve(),
};

/** A replay file: NDJSON ticks, or a Binance trade dump when it ends in `.csv`. */
export function replaySource(file: string, symbol?: string): Source {
  // No clock: a dump's event times are checked against the fixed ceiling only.
  const parser = new TickParser();
  return createReplay({ file, speed: "max", symbol }, { clock: fixedClock, parser });
}

/** The simulator, unpaced: `ticks` ticks from `seed`. */
export function simulatorSource(ticks: number, seed: number, ticksPerSecond = 1): Source {
  return createSimulator(
    { seed, ticksPerSecond, paced: false, maxTicks: ticks, warmupMs: 0 },
    { clock: fixedClock },
  );
}

/**
 * Runs `source` to its end into a candle aggregator; keys are `venue|symbol|interval`, as the
 * pipeline's forecast keys: the aggregator makes one candle per venue (the tick's source), and two
 * sources of one symbol are two series, each evaluated on its own (the composite and the
 * cross-source spread need the pipeline's composite book and are not evaluated here).
 */
export async function candlesFrom(source: Source, interval: string): Promise<EvaluationInput> {
  const iv = parseInterval(interval);
  const agg = new CandleAggregator({ intervals: [iv] });
  const byKey = new Map<string, Map<number, Candle>>();
  const out = {
    candle: (c: Candle) => {
      const key = `${c.venue}|${c.symbol}|${c.interval}`;
      const m = byKey.get(key) ?? new Map<number, Candle>();
      m.set(c.window_start, c); // a revision replaces its window's candle
      byKey.set(key, m);
    },
    late: () => {},
    duplicate: () => {},
  };
  let ticks = 0, rejected = 0;
  await source.run({
    tick: (t) => {
      ticks++;
      agg.add(t, out);
    },
    deadLetter: () => {
      rejected++;
    },
  }, new AbortController().signal);
  agg.flush(out);
  const series = new Map<string, CandleSeries>();
  for (const [key, m] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const candles = [...m.values()].sort((a, b) => a.window_start - b.window_start);
    series.set(key, { intervalMs: iv.ms, candles });
  }
  return { series, ticks, rejected };
}
