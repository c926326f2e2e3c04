/**
 * The simulator feed: a seeded, deterministic market of ~10 symbols at realistic price levels, so
 * `deno task start` works offline with no API key. Prices follow a random walk with occasional
 * jumps; volume has bursts; now and then a symbol goes silent for a while. A warm-up of simulated
 * history is produced first (as fast as possible) so indicators are warm and alerts can fire
 * within minutes; after it, ticks are paced at their event times.
 *
 * The sequence of prices, sizes, ids and gaps depends only on the seed; event times are that
 * sequence offset by the start time.
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Tick } from "../market/tick.ts";
import { Prng } from "./prng.ts";
import type { Source, TickOutput } from "./source.ts";

/** A simulated instrument. */
export interface SimulatedSymbol {
  readonly symbol: string;
  readonly price: number;
  /** Per-tick log-return standard deviation. */
  readonly volatility: number;
}

/** Default universe, at late-2026-ish price levels. */
export const DEFAULT_SIMULATED_SYMBOLS: readonly SimulatedSymbol[] = [
  { symbol: "BTC-USD", price: 97_000, volatility: 0.0004 },
  { symbol: "ETH-USD", price: 3_600, volatility: 0.0005 },
  { symbol: "SOL-USD", price: 240, volatility: 0.0007 },
  { symbol: "XRP-USD", price: 2.3, volatility: 0.0007 },
  { symbol: "ADA-USD", price: 1.05, volatility: 0.0008 },
  { symbol: "DOGE-USD", price: 0.38, volatility: 0.0009 },
  { symbol: "AVAX-USD", price: 45, volatility: 0.0008 },
  { symbol: "LINK-USD", price: 24, volatility: 0.0008 },
  { symbol: "DOT-USD", price: 8.5, volatility: 0.0008 },
  { symbol: "LTC-USD", price: 105, volatility: 0.0006 },
];

/** Configuration of the simulator. */
export interface SimulatorConfig {
  readonly seed: number;
  /** Mean ticks per second per symbol. */
  readonly ticksPerSecond: number;
  readonly symbols?: readonly SimulatedSymbol[];
  /** Simulated history produced at once before live pacing starts (ms). Default 45 min. */
  readonly warmupMs?: number;
  /** Per-tick probability of a price jump (±1–3 %). */
  readonly jumpProbability?: number;
  /** Per-tick probability that a volume burst (×8–20 sizes for ~1 min) starts. */
  readonly burstProbability?: number;
  /** Per-tick probability that the symbol goes silent for 70–120 s (exercises feed_stale). */
  readonly silenceProbability?: number;
  /** Stop after this many ticks (tests, benchmarks); default unbounded. */
  readonly maxTicks?: number;
  /** Pace live ticks at their event time; false produces as fast as possible. Default true. */
  readonly paced?: boolean;
}

interface SymbolState {
  readonly spec: SimulatedSymbol;
  price: number;
  burstUntil: number;
  burstFactor: number;
  silentUntil: number;
  lastTs: number;
  sameMs: number;
}

/** Creates the simulator source. */
export function createSimulator(config: SimulatorConfig, deps: { clock: Clock }): Source {
  return {
    name: "simulator",
    run: (output, signal) => runSimulator(config, deps.clock, output, signal),
  };
}

async function runSimulator(
  config: SimulatorConfig,
  clock: Clock,
  output: TickOutput,
  signal: AbortSignal,
): Promise<void> {
  const rng = new Prng(config.seed);
  const specs = config.symbols ?? DEFAULT_SIMULATED_SYMBOLS;
  const states: SymbolState[] = specs.map((spec) => ({
    spec,
    price: spec.price,
    burstUntil: 0,
    burstFactor: 1,
    silentUntil: 0,
    lastTs: 0,
    sameMs: 0,
  }));
  const meanGapMs = 1000 / (config.ticksPerSecond * specs.length);
  const paced = config.paced ?? true;
  // Whole seconds, so two runs started in the same second produce identical ticks.
  const start = Math.floor(clock.now() / 1000) * 1000 - (config.warmupMs ?? 45 * 60_000);
  let elapsed = 0;
  const max = config.maxTicks ?? Infinity;
  for (let n = 0; n < max && !signal.aborted; n++) {
    elapsed += rng.exponential(meanGapMs);
    const ts = start + Math.floor(elapsed);
    const state = states[rng.int(states.length)];
    const tick = step(state, ts, rng, config);
    if (paced && ts > clock.now()) {
      try {
        await clock.sleep(ts - clock.now(), signal);
      } catch {
        return; // aborted while waiting: a clean stop
      }
    }
    if (!tick) continue;
    const pending = output.tick(tick);
    if (pending) await pending;
  }
}

function step(s: SymbolState, ts: number, rng: Prng, c: SimulatorConfig): Tick | null {
  const r = rng.next();
  if (ts < s.silentUntil) return null;
  if (r < (c.silenceProbability ?? 0.00002)) {
    s.silentUntil = ts + 70_000 + rng.int(50_000);
    return null;
  }
  let logReturn = rng.normal() * s.spec.volatility;
  if (rng.next() < (c.jumpProbability ?? 0.0003)) {
    logReturn += (rng.next() < 0.5 ? -1 : 1) * (0.01 + 0.02 * rng.next());
  }
  s.price = s.price * Math.exp(logReturn);
  if (ts >= s.burstUntil && rng.next() < (c.burstProbability ?? 0.0005)) {
    s.burstUntil = ts + 60_000;
    s.burstFactor = 8 + 12 * rng.next();
  }
  const burst = ts < s.burstUntil ? s.burstFactor : 1;
  // Trade notional around $2,000, log-normal.
  const notional = 2000 * Math.exp(rng.normal() * 0.8) * burst;
  s.sameMs = ts === s.lastTs ? s.sameMs + 1 : 0;
  s.lastTs = ts;
  return {
    source: "simulator",
    symbol: s.spec.symbol,
    price: roundSignificant(s.price, 8),
    size: roundSignificant(notional / s.price, 8),
    ts,
    // Unique across runs started at different times, and numeric so ties order numerically.
    id: String(ts * 100 + s.sameMs),
    side: rng.next() < 0.5 ? "buy" : "sell",
  };
}

function roundSignificant(x: number, digits: number): number {
  return Number(x.toPrecision(digits));
}
