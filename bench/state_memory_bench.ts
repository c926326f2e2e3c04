/**
 * Memory per symbol of the state the pipeline keeps (for docs/capacity.md): the candle aggregator
 * (windows, per-cell statistics, seen ids), the indicator and anomaly state fed by its candles, the
 * tick rules and the latest view, with the default intervals (1m, 5m, 1h), after 2 hours of event
 * time at 1 tick/s per symbol with gap-free integer trade ids (exchange-like) — and with string
 * ids (the worst case: every id remembered for ~1 h). Heap used after a forced GC, less the heap
 * before, divided by the symbols.
 * @module
 */
import { createCandleAnalytics, createTickRules } from "../actors/analytics/analytics_logic.ts";
import { LatestView } from "../src/http/latest_view.ts";
import { CandleAggregator } from "../src/market/candle_aggregator.ts";
import type { Candle } from "../src/market/candle.ts";
import { parseIntervals } from "../src/market/interval.ts";
import type { Tick } from "../src/market/tick.ts";
import { report, round } from "./measure.ts";

const SYMBOLS = 2000;
const HOURS = 2;
const T0 = Date.UTC(2026, 0, 1);

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --v8-flags=--expose-gc");
  gc();
  gc();
  return Deno.memoryUsage().heapUsed;
}

function measure(ids: "integer" | "string"): number {
  const before = heap();
  const agg = new CandleAggregator({ intervals: parseIntervals("1m,5m,1h") });
  const analytics = createCandleAnalytics();
  const rules = createTickRules();
  const latest = new LatestView();
  const closed: Candle[] = [];
  const out = { candle: (c: Candle) => void closed.push(c), late: () => {}, duplicate: () => {} };
  for (let s = 0; s < HOURS * 3600; s++) {
    for (let k = 0; k < SYMBOLS; k++) {
      const ts = T0 + s * 1000 + k % 1000;
      const tick: Tick = {
        source: "bench",
        symbol: `S${k}-USD`,
        price: 100 + Math.sin(s / 60 + k),
        size: 1,
        ts,
        id: ids === "integer" ? String(s) : `t-${s}-${k}`,
      };
      agg.add(tick, out);
      rules.onTick(tick, ts, agg.watermark);
      latest.ticks([tick]);
    }
    for (const c of closed.splice(0)) analytics.onCandle(c);
  }
  const used = heap() - before;
  // Keep everything alive until measured.
  if (agg.symbols + latest.tickCount < 0) throw new Error("unreachable");
  return used / SYMBOLS;
}

for (const ids of ["integer", "string"] as const) {
  const bytes = measure(ids);
  report({
    bench: `state_memory_per_symbol_${ids}_ids`,
    kb_per_symbol: round(bytes / 1024, 1),
    symbols: SYMBOLS,
    hours: HOURS,
    intervals: "1m,5m,1h",
  });
}
