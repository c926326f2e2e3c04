/**
 * Per (source, symbol) tick counts and last prices, in plain fields: one map lookup per tick on
 * the hot path. Whoever publishes them (TickStats for Prometheus, the window worker for the
 * consumer thread) takes what was counted since its last look with {@linkcode TickCounts.drain}.
 * @module
 */
import type { Tick } from "../../src/market/tick.ts";

interface Entry {
  readonly source: string;
  readonly symbol: string;
  count: number;
  drained: number;
  price: number;
}

/** Counts of one stage. */
export class TickCounts {
  readonly #bySource = new Map<string, Map<string, Entry>>();
  // Per tick, one lookup by symbol: the entry that symbol's last tick went to. Ticks of one
  // partition interleave many symbols, so a single last-entry cache rarely hits, and the nested
  // maps cost two lookups.
  readonly #lastBySymbol = new Map<string, Entry>();

  /** Counts one tick. */
  record(t: Tick): void {
    let e = this.#lastBySymbol.get(t.symbol);
    if (e === undefined || e.source !== t.source) {
      this.#lastBySymbol.set(t.symbol, e = this.#entry(t.source, t.symbol));
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
    let bySymbol = this.#bySource.get(source);
    if (!bySymbol) this.#bySource.set(source, bySymbol = new Map());
    let e = bySymbol.get(symbol);
    if (!e) bySymbol.set(symbol, e = { source, symbol, count: 0, drained: 0, price: 0 });
    return e;
  }
}
