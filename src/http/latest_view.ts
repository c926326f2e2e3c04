/**
 * The in-memory "latest" view: per symbol the last price, the latest closed candle per interval
 * (the charted analytics venue's — the composite by default — and each venue's), the latest
 * indicators and alert counts (the charted venue's, and each analytics venue's), and forecasts. Fed by the pipeline once per batch; read by
 * `/api/latest` and the terminal live view. Bounded: beyond `maxSymbols` the symbol with the
 * oldest last tick is dropped.
 * @module
 */
import { evictOldest } from "../market/evict_oldest.ts";
import type { Alert } from "../market/alert.ts";
import { type Candle, COMPOSITE_VENUE } from "../market/candle.ts";
import type { IndicatorRow } from "../market/indicator_row.ts";
import type { PredictionRow } from "../market/forecast/prediction_row.ts";
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
  /** Latest indicators per interval of the charted venue (the first of `--analytics-venue`). */
  indicators: Record<string, IndicatorRow>;
  /** Latest indicators per analytics venue, then per interval. */
  venue_indicators: Record<string, Record<string, IndicatorRow>>;
  /** Forecasts for the next window per interval (the analytics venue's), by model. */
  forecasts: Record<string, LatestForecast>;
  /** Alerts raised on the charted venue (the tick rules' included: they file under the composite). */
  alerts: number;
  /** Alerts raised per venue. */
  venue_alerts: Record<string, number>;
}

/** One symbol's last price: the newest tick by event time. */
export interface LatestPrice {
  symbol: string;
  price: number;
  ts: number;
  source: string;
}

/** The newest target window's forecasts of one interval. */
export interface LatestForecast {
  target_window_start: number;
  predicted_return: number | null;
  prob_up: number | null;
  /** GARCH's σ (EWMA's when GARCH is off). */
  predicted_vol: number | null;
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
    const byVenue = s.venue_indicators[r.venue] ??= {};
    const prev = byVenue[r.interval];
    if (prev && r.window_start < prev.window_start) return;
    byVenue[r.interval] = r;
    if (r.venue === this.#venue) s.indicators[r.interval] = r;
  }

  /** Records a prediction row; older target windows than the one held are ignored. */
  prediction(p: PredictionRow): void {
    if (p.venue !== this.#venue) return;
    const s = this.#get(p.symbol);
    let f = s.forecasts[p.interval];
    if (f && p.target_window_start < f.target_window_start) return;
    if (!f || p.target_window_start > f.target_window_start) {
      f = s.forecasts[p.interval] = {
        target_window_start: p.target_window_start,
        predicted_return: null,
        prob_up: null,
        predicted_vol: null,
      };
    }
    if (p.model === "ridge") {
      f.predicted_return = p.predicted_return;
      f.prob_up = p.prob_up;
    } else if (p.model === "garch" || f.predicted_vol === null) {
      f.predicted_vol = p.predicted_vol;
    }
  }

  alert(a: Alert): void {
    const s = this.#get(a.symbol);
    s.venue_alerts[a.venue] = (s.venue_alerts[a.venue] ?? 0) + 1;
    if (a.venue === this.#venue) s.alerts++;
  }

  /** Total ticks seen. */
  get tickCount(): number {
    return this.#ticks;
  }

  /**
   * Every symbol's last price alone, sorted by name: what a ticker polls. `snapshot()` carries
   * every candle, indicator and forecast as well, ~1.7 KB a symbol, and serving it back to back
   * took a quarter of the main thread of a pipeline at 10 k ticks/s.
   */
  prices(): LatestPrice[] {
    const out: LatestPrice[] = [];
    for (const s of this.#symbols.values()) {
      out.push({ symbol: s.symbol, price: s.price, ts: s.ts, source: s.source });
    }
    return out.sort(bySymbol);
  }

  /** Every symbol, sorted by name. */
  snapshot(): SymbolSnapshot[] {
    return [...this.#symbols.values()].sort(bySymbol);
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
        venue_indicators: {},
        forecasts: {},
        alerts: 0,
        venue_alerts: {},
      };
      this.#symbols.set(symbol, s);
    }
    return s;
  }
}

function bySymbol(a: { symbol: string }, b: { symbol: string }): number {
  return a.symbol < b.symbol ? -1 : 1;
}
