/**
 * The in-memory "latest" view: per symbol the last price, the latest closed candle per interval
 * (the analytics venue's — the composite by default — and each venue's), the latest indicators,
 * and alert counts. Fed by the pipeline once per batch; read by
 * `/api/latest` and the terminal live view. Bounded: beyond `maxSymbols` the symbol with the
 * oldest last tick is dropped.
 * @module
 */
import { evictOldest } from "../market/evict_oldest.ts";
import type { Alert } from "../market/alert.ts";
import { type Candle, COMPOSITE_VENUE } from "../market/candle.ts";
import type { IndicatorRow } from "../market/indicator_row.ts";
import type { Tick } from "../market/tick.ts";

/** What is known of one symbol. */
export interface SymbolSnapshot {
  symbol: string;
  price: number;
  ts: number;
  source: string;
  /** Latest closed candle per interval of the venue the indicators run on (the composite). */
  candles: Record<string, Candle>;
  /** Latest closed candle per venue (the composite included), then per interval. */
  venues: Record<string, Record<string, Candle>>;
  /** Latest indicators per interval. */
  indicators: Record<string, IndicatorRow>;
  alerts: number;
}

/** Latest values per symbol. */
export class LatestView {
  readonly #symbols = new Map<string, SymbolSnapshot>();
  readonly #maxSymbols: number;
  readonly #venue: string;
  #ticks = 0;

  /** `venue`: the one whose candles are the symbol's `candles` (default the composite). */
  constructor(options: { maxSymbols?: number; venue?: string } = {}) {
    this.#maxSymbols = options.maxSymbols ?? Infinity;
    this.#venue = options.venue ?? COMPOSITE_VENUE;
  }

  /**
   * Records a batch of ticks: counts them, keeps the newest (by event time) per symbol. `count`
   * is the batch's size when `batch` holds only its newest tick per symbol.
   */
  ticks(batch: readonly Tick[], count = batch.length): void {
    this.#ticks += count;
    for (const t of batch) {
      const s = this.#get(t.symbol);
      if (t.ts >= s.ts) {
        s.price = t.price;
        s.ts = t.ts;
        s.source = t.source;
      }
    }
  }

  candle(c: Candle): void {
    const s = this.#get(c.symbol);
    const byVenue = s.venues[c.venue] ??= {};
    const prev = byVenue[c.interval];
    if (prev && c.window_start < prev.window_start) return;
    byVenue[c.interval] = c;
    if (c.venue === this.#venue) s.candles[c.interval] = c;
  }

  indicators(r: IndicatorRow): void {
    const s = this.#get(r.symbol);
    const prev = s.indicators[r.interval];
    if (!prev || r.window_start >= prev.window_start) s.indicators[r.interval] = r;
  }

  alert(a: Alert): void {
    this.#get(a.symbol).alerts++;
  }

  /** Total ticks seen. */
  get tickCount(): number {
    return this.#ticks;
  }

  /** Every symbol, sorted by name. */
  snapshot(): SymbolSnapshot[] {
    return [...this.#symbols.values()].sort((a, b) => a.symbol < b.symbol ? -1 : 1);
  }

  #get(symbol: string): SymbolSnapshot {
    let s = this.#symbols.get(symbol);
    if (!s) {
      if (this.#symbols.size >= this.#maxSymbols) {
        evictOldest(this.#symbols, this.#maxSymbols - 1, (v) => v.ts);
      }
      s = {
        symbol,
        price: NaN,
        ts: -Infinity,
        source: "",
        candles: {},
        venues: {},
        indicators: {},
        alerts: 0,
      };
      this.#symbols.set(symbol, s);
    }
    return s;
  }
}
