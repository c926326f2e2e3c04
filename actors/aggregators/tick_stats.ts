/**
 * Per (source, symbol) tick counts and last prices, counted in plain fields on the hot path and
 * published to `pipeline_ticks_total` and `pipeline_last_price` only when Prometheus scrapes.
 * @module
 */
import type { Tick } from "../../src/market/tick.ts";
import { counter, gauge, onCollect, type Registry } from "../../src/telemetry/metrics.ts";

interface Entry {
  readonly source: string;
  readonly symbol: string;
  count: number;
  published: number;
  price: number;
}

/** Tick statistics of one actor. */
export class TickStats {
  readonly #bySource = new Map<string, Map<string, Entry>>();
  // Per tick, one lookup by symbol: the entry that symbol's last tick went to. Ticks of one
  // partition interleave many symbols, so a single last-entry cache rarely hits, and the nested
  // maps cost two lookups.
  readonly #lastBySymbol = new Map<string, Entry>();

  constructor(registry: Registry) {
    const ticks = counter(registry, {
      name: "pipeline_ticks_total",
      help: "Valid ticks accepted, by source and symbol",
      labelNames: ["source", "symbol"],
    });
    const price = gauge(registry, {
      name: "pipeline_last_price",
      help: "Latest price seen, by symbol and source",
      labelNames: ["symbol", "source"],
    });
    // Several actors share the metrics; each adds its own unpublished counts on scrape.
    this.unregister = onCollect(registry, () => {
      for (const bySymbol of this.#bySource.values()) {
        for (const e of bySymbol.values()) {
          const labels = { source: e.source, symbol: e.symbol };
          if (e.count > e.published) ticks.inc(labels, e.count - e.published);
          e.published = e.count;
          price.set({ symbol: e.symbol, source: e.source }, e.price);
        }
      }
    });
  }

  /** Stops publishing (the actor stopped); what was counted stays in the metrics. */
  readonly unregister: () => void;

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

  #entry(source: string, symbol: string): Entry {
    let bySymbol = this.#bySource.get(source);
    if (!bySymbol) this.#bySource.set(source, bySymbol = new Map());
    let e = bySymbol.get(symbol);
    if (!e) bySymbol.set(symbol, e = { source, symbol, count: 0, published: 0, price: 0 });
    return e;
  }
}
