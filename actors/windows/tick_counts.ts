/**
 * Per (source, symbol) tick counts and last prices, in plain fields: one map lookup per tick on
 * the hot path. Whoever publishes them (TickStats for Prometheus, the window worker for the
 * consumer thread) takes what was counted since its last look with {@linkcode TickCounts.drain}.
 * Pairs beyond the label budget (src/telemetry/label_budget.ts) are counted under `other`, so
 * neither the counts nor the metrics grow with hostile input.
 * @module
 */
import type { Tick } from "../../src/market/tick.ts";
import {
  type TickLabelBudget,
  TickLabelBudget as Budget,
} from "../../src/telemetry/label_budget.ts";

interface Entry {
  readonly source: string;
  readonly symbol: string;
  count: number;
  drained: number;
  price: number;
}

/** Symbols whose last entry is cached before the cache starts over (it is only a shortcut). */
const CACHED_SYMBOLS = 16_384;

/** Counts of one stage. */
export class TickCounts {
  readonly #budget: TickLabelBudget;
  readonly #bySource = new Map<string, Map<string, Entry>>();
  // Per tick, one lookup by symbol: the entry that symbol's last tick went to. Ticks of one
  // partition interleave many symbols, so a single last-entry cache rarely hits, and the nested
  // maps cost two lookups.
  readonly #lastBySymbol = new Map<string, Entry>();

  /** `budget`: shared by every stage of the process; default: a budget of this stage's own. */
  constructor(budget: TickLabelBudget = new Budget()) {
    this.#budget = budget;
  }

  /** Counts one tick. */
  record(t: Tick): void {
    let e = this.#lastBySymbol.get(t.symbol);
    if (e === undefined || e.source !== t.source) {
      e = this.#entry(t.source, t.symbol);
      // A folded pair's entry is `other`'s: caching it would miss every time.
      if (e.source === t.source) {
        if (this.#lastBySymbol.size >= CACHED_SYMBOLS) this.#lastBySymbol.clear();
        this.#lastBySymbol.set(t.symbol, e);
      }
    }
    e.count++;
    e.price = t.price;
  }

  /** Counts `count` ticks of (source, symbol) at once, the last at `price` (counted elsewhere). */
  add(source: string, symbol: string, count: number, price: number): void {
    const e = this.#entry(source, symbol);
    e.count += count;
    e.price = price;
  }

  /** Calls `fn` for every (source, symbol) with the ticks counted since the last drain (maybe 0). */
  drain(fn: (source: string, symbol: string, count: number, price: number) => void): void {
    for (const bySymbol of this.#bySource.values()) {
      for (const e of bySymbol.values()) {
        const count = e.count - e.drained;
        e.drained = e.count;
        fn(e.source, e.symbol, count, e.price);
      }
    }
  }

  #entry(source: string, symbol: string): Entry {
    let e = this.#bySource.get(source)?.get(symbol);
    if (e !== undefined) return e;
    const labels = this.#budget.labels(source, symbol);
    let bySymbol = this.#bySource.get(labels.source);
    if (!bySymbol) this.#bySource.set(labels.source, bySymbol = new Map());
    e = bySymbol.get(labels.symbol);
    if (!e) {
      e = { source: labels.source, symbol: labels.symbol, count: 0, drained: 0, price: NaN };
      bySymbol.set(labels.symbol, e);
    }
    return e;
  }
}
