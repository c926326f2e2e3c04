/**
 * Candle streams for the forecast wiring tests: a seeded random walk of composite candles, and
 * the same with two venues under each composite, in the window stage's order.
 * @module
 */
import type { ForecastConfig } from "../../src/config/pipeline_config.ts";
import type { Candle } from "../../src/market/candle.ts";

export const MIN = 60_000;
export const T0 = Date.UTC(2026, 0, 1);

/**
 * A BTC-USD 1m candle of one trade at `close` (open = high = low = close), version 1: the
 * prediction store tests' candles, whose closes the realised returns are read from.
 */
export function flatCandle(windowStart: number, close: number, venue = "composite"): Candle {
  return {
    venue,
    symbol: "BTC-USD",
    interval: "1m",
    window_start: windowStart,
    open: close,
    high: close,
    low: close,
    close,
    volume: 1,
    vwap: close,
    trades: 1,
    first_ts: windowStart,
    last_ts: windowStart,
    version: 1,
  };
}

/** Every model and the learned anomaly score, with windows these streams reach past. */
export const FORECAST_CONFIG: ForecastConfig = {
  models: ["ewma", "garch", "ridge"],
  window: 60,
  ewmaLambda: 0.94,
  refitEvery: 10,
  garchMethod: "targeting",
  ridgeAlpha: 0.1,
  learnedAnomaly: true,
  learnedAnomalyThreshold: 3,
  learnedAnomalyWindow: 40,
  learnedAnomalySeed: 1,
  thread: false,
};

/** A seeded random walk of 1m candles for two symbols; BTC-USD's `spikes` jump 30 %. */
export function candles(n: number, ...spikes: number[]): Candle[] {
  let seed = 7;
  const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const out: Candle[] = [];
  const close: Record<string, number> = { "BTC-USD": 100, "ETH-USD": 50 };
  for (let i = 0; i < n; i++) {
    for (const symbol of ["BTC-USD", "ETH-USD"]) {
      const prev = close[symbol];
      const jump = symbol === "BTC-USD" && spikes.includes(i) ? 1.3 : 1;
      const c = prev * Math.exp((rand() - 0.5) * 0.004) * jump;
      close[symbol] = c;
      out.push({
        venue: "composite",
        symbol,
        interval: "1m",
        window_start: T0 + i * MIN,
        open: prev,
        high: Math.max(prev, c) * (1 + rand() * 0.001),
        low: Math.min(prev, c) * (1 - rand() * 0.001),
        close: c,
        volume: 1 + rand() * (jump > 1 ? 50 : 1),
        vwap: c,
        trades: 3,
        first_ts: T0 + i * MIN,
        last_ts: T0 + i * MIN + 1,
        version: 1,
      });
    }
  }
  return out;
}

/**
 * Two venues and their composite per window, in the window stage's order (venue candles by symbol
 * and venue, then the composites); kraken trades 0.1 % above coinbase with noise of its own.
 * `revise` re-emits, after the step of window i + 1, the given venue's candle of window i with
 * version 2 (another close), then the composite with version 2.
 */
export function venueSteps(n: number, revise: { at: number; venue: string }[] = []): Candle[] {
  const composite = candles(n);
  let seed = 11;
  const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const venue = (c: Candle, name: string, k: number): Candle => {
    const close = c.close * k;
    return {
      ...c,
      venue: name,
      close,
      high: Math.max(c.high, close),
      low: Math.min(c.low, close),
      volume: c.volume * (0.5 + rand()),
    };
  };
  const steps: Candle[][] = [];
  const byWindow: { venues: Candle[]; composite: Candle[] }[] = [];
  for (let i = 0; i < n; i++) {
    const own = composite.filter((c) => c.window_start === T0 + i * MIN);
    const venues = own.flatMap((c) => [
      venue(c, "coinbase", 1 + (rand() - 0.5) * 0.001),
      venue(c, "kraken", 1.001 + (rand() - 0.5) * 0.001),
    ]);
    const comps = own.map((c) => ({ ...c, constituents: ["coinbase", "kraken"] }));
    byWindow.push({ venues, composite: comps });
    steps.push([...venues, ...comps]);
  }
  for (const { at, venue: name } of revise) {
    const { venues, composite: comps } = byWindow[at];
    const old = venues.find((c) => c.venue === name && c.symbol === "BTC-USD")!;
    const revised = { ...old, close: old.close * 1.002, version: 2 };
    const comp = comps.find((c) => c.symbol === "BTC-USD")!;
    steps[at + 1].push(revised, { ...comp, close: comp.close * 1.001, version: 2 });
  }
  return steps.flat();
}

// The latest version of each stored candle, series by series, oldest first: what a store holds.
export function stored(input: readonly Candle[]): Candle[] {
  const latest = new Map<string, Candle>();
  for (const c of input) {
    const key = `${c.venue}|${c.symbol}|${c.interval}|${c.window_start}`;
    if ((latest.get(key)?.version ?? 0) < c.version) latest.set(key, c);
  }
  return [...latest.values()].sort((a, b) =>
    a.venue.localeCompare(b.venue) || a.symbol.localeCompare(b.symbol) ||
    a.window_start - b.window_start
  );
}
