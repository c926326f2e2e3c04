import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { CandleColumns } from "../../../src/market/forecast/candle_columns.ts";
import {
  ForecastEngine,
  type ForecastEngineOptions,
} from "../../../src/market/forecast/forecast_engine.ts";
import { forecastWindow, resolveSettings } from "../../../src/market/forecast/forecast_window.ts";
import { HalfSpaceTrees } from "../../../src/market/forecast/half_space_trees.ts";
import { LearnedAnomalyScorer } from "../../../src/market/forecast/learned_anomaly.ts";
import { logReturns } from "../../../src/market/forecast/log_returns.ts";
import type { WindowCandle } from "../../../src/market/forecast/window_candle.ts";
import { mulberry32 } from "../prng.ts";

// The engine's fast path (columns kept per series, windows read in place, fitted models cached
// per block, Half-Space Trees scored from per-leaf tables) against the plain recomputation: for
// every update it emits, forecastWindow over the window copied out of an independent record of
// the latest candles, with a fresh scorer and no fit cache. deepStrictEqual compares numbers
// with Object.is, so equal means the same bits.

const MIN = 60_000;
const OPTIONS: ForecastEngineOptions = {
  window: 90,
  refitEvery: 15,
  garch: { minReturns: 40 },
  anomalyWindow: 50,
  anomaly: { minReference: 20, seed: 5 },
  revisable: 6,
};

/** Candles with clustered volatility; about one window in eight has no candle. */
function series(n: number, intervalMs: number, u: () => number): WindowCandle[] {
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  let h = 4e-6, close = 50 + 100 * u();
  const out: WindowCandle[] = [];
  for (let i = 0; i < n; i++) {
    const r = Math.sqrt(h) * normal();
    h = 2e-7 + 0.12 * r * r + 0.83 * h;
    close *= Math.exp(r);
    if (u() < 0.125) continue;
    const range = Math.abs(r) + 0.001 * u();
    out.push({
      window_start: 1_700_000_400_000 - (1_700_000_400_000 % intervalMs) + i * intervalMs,
      high: close * (1 + range),
      low: close * (1 - range),
      close,
      volume: u() < 0.1 ? 0 : 5 + 10 * u(),
      version: 1,
    });
  }
  return out;
}

type Delivery = { key: string; intervalMs: number; candle: WindowCandle };

/**
 * Each key's candles mostly in order, with revisions after a random delay (some beyond the
 * revisable intervals, which the engine ignores), redeliveries of the same version, and first
 * candles held back a few windows (late first candles); keys interleaved at random.
 */
function deliveries(u: () => number): Delivery[] {
  const keys = [
    { key: "a|X|1m", intervalMs: MIN, n: 260 },
    { key: "b|Y|5m", intervalMs: 5 * MIN, n: 200 },
  ];
  const queues = keys.map(({ key, intervalMs, n }) => {
    const q: { at: number; d: Delivery }[] = [];
    series(n, intervalMs, u).forEach((c, i) => {
      const late = u() < 0.05 ? 1 + Math.floor(u() * 4) : 0;
      q.push({ at: i + late, d: { key, intervalMs, candle: c } });
      if (u() < 0.2) {
        const bump = 1 + 0.002 * (u() - 0.5);
        const version = c.version + 1 + Math.floor(u() * 2);
        const revision = {
          ...c,
          close: c.close * bump,
          high: Math.max(c.high, c.close * bump),
          low: Math.min(c.low, c.close * bump),
          volume: c.volume + u(),
          version,
        };
        q.push({ at: i + late + Math.floor(u() * 10), d: { key, intervalMs, candle: revision } });
      }
      if (u() < 0.05) q.push({ at: i + 2, d: { key, intervalMs, candle: c } });
    });
    return q.sort((a, b) => a.at - b.at).map((x) => x.d);
  });
  const out: Delivery[] = [];
  while (queues.some((q) => q.length > 0)) {
    const q = queues.filter((q) => q.length > 0);
    out.push(q[Math.floor(u() * q.length)].shift()!);
  }
  return out;
}

/** The latest accepted candle per window of each key, kept by the engine's documented rules. */
class Reference {
  readonly #keys = new Map<string, Map<number, WindowCandle>>();

  /** Whether the engine should take `d` (a newer version, within the revisable intervals). */
  accept({ key, intervalMs, candle }: Delivery): boolean {
    let held = this.#keys.get(key);
    if (!held) this.#keys.set(key, held = new Map());
    const existing = held.get(candle.window_start);
    if (existing && candle.version <= existing.version) return false;
    const newest = Math.max(-Infinity, ...held.keys());
    if (candle.window_start <= newest - OPTIONS.revisable! * intervalMs) return false;
    held.set(candle.window_start, candle);
    return true;
  }

  /** Window starts of the key's candles from `from` on, ascending. */
  startsFrom(key: string, from: number): number[] {
    return [...this.#keys.get(key)!.keys()].filter((s) => s >= from).sort((a, b) => a - b);
  }

  /** The candles of the N intervals ending with the key's candle at `end`, ascending. */
  window(key: string, intervalMs: number, end: number): WindowCandle[] {
    const from = end - (OPTIONS.window! - 1) * intervalMs;
    return [...this.#keys.get(key)!.values()]
      .filter((c) => c.window_start >= from && c.window_start <= end)
      .sort((a, b) => a.window_start - b.window_start);
  }
}

for (const seed of [1, 2, 3]) {
  Deno.test(`ForecastEngine equals forecastWindow recomputed over each window, bit for bit (seed ${seed})`, () => {
    const u = mulberry32(seed);
    const engine = new ForecastEngine(OPTIONS);
    const ref = new Reference();
    const settings = resolveSettings(OPTIONS);
    let compared = 0, garchFits = 0, ridgeForecasts = 0, scores = 0;
    for (const d of deliveries(u)) {
      const updates = engine.onCandle(d.key, d.intervalMs, d.candle);
      if (!ref.accept(d)) {
        assertEquals(updates, [], `ignored ${d.key} ${d.candle.window_start} v${d.candle.version}`);
        continue;
      }
      assertEquals(
        updates.map((x) => x.windowStart),
        ref.startsFrom(d.key, d.candle.window_start),
        `recomputed windows after ${d.key} ${d.candle.window_start}`,
      );
      for (const update of updates) {
        const window = ref.window(d.key, d.intervalMs, update.windowStart);
        const expected = forecastWindow(d.key, d.intervalMs, window, settings, {
          scorer: new LearnedAnomalyScorer(OPTIONS.anomaly!),
          fits: new Map(),
        });
        assertEquals(update, expected, `${d.key} after ${update.windowStart}`);
        compared++;
        if (update.predictions.some((p) => p.model === "garch" && p.fallback === null)) {
          garchFits++;
        }
        if (update.predictions.some((p) => p.model === "ridge" && p.predictedReturn !== null)) {
          ridgeForecasts++;
        }
        if (update.anomalyScore !== null) scores++;
      }
    }
    // The comparison covered fitted models, not only their warm-up.
    ok(compared > 450, `${compared} updates compared`);
    ok(
      garchFits > 100 && ridgeForecasts > 100 && scores > 100,
      `${garchFits}, ${ridgeForecasts}, ${scores}`,
    );
  });
}

Deno.test("CandleColumns keeps each candle's log return, start and version through inserts, replacements and drops", () => {
  const u = mulberry32(11);
  const cols = new CandleColumns(2);
  const held: WindowCandle[] = [];
  for (let step = 0; step < 400; step++) {
    const start = Math.floor(u() * 300) * MIN;
    const c = { window_start: start, high: 2, low: 1, close: 1 + u(), volume: 1, version: step };
    const at = held.findIndex((h) => h.window_start >= start);
    const i = at < 0 ? held.length : at;
    const replace = i < held.length && held[i].window_start === start;
    held.splice(i, replace ? 1 : 0, c);
    cols.put(i, c, replace);
    if (step % 50 === 49) {
      held.splice(0, 7);
      cols.dropFirst(7);
    }
    const n = held.length;
    assertEquals(cols.candles, held);
    assertEquals([...cols.ret.subarray(1, n)], logReturns(held.map((h) => h.close)));
    ok(Number.isNaN(cols.ret[0]), "no return for the first candle");
    assertEquals([...cols.start.subarray(0, n)], held.map((h) => h.window_start));
    assertEquals([...cols.version.subarray(0, n)], held.map((h) => h.version));
    const from = Math.floor(u() * 300) * MIN;
    const expected = held.findIndex((h) => h.window_start >= from);
    assertEquals(cols.firstAtOrAfter(from, n - 1), expected < 0 ? n - 1 : expected);
  }
});

Deno.test("HalfSpaceTrees: massAndScores and scoreFrom give score's exact values", () => {
  const u = mulberry32(4);
  const hst = new HalfSpaceTrees({ dims: 3, trees: 9, depth: 6, seed: 8 });
  const point = () => [u(), 0.5 + (u() - 0.5) * (u() < 0.1 ? 20 : 1), u() * u()];
  const points = Array.from({ length: 300 }, point);
  for (const limit of [0, 1, 12.5, 30, 1e9]) {
    const { mass, scores } = hst.massAndScores(points, limit);
    assertEquals(mass, hst.mass(points));
    assertEquals([...scores], points.map((x) => hst.score(mass, x, limit)));
    for (const extra of [0, 1]) {
      const table = hst.scoreTable(mass, limit, extra);
      for (const x of [...points.slice(0, 40), ...Array.from({ length: 40 }, point)]) {
        assertEquals(hst.scoreFrom(table, x), hst.score(mass, x, limit, extra));
      }
    }
  }
});
