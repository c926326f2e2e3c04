/**
 * The latest venue candles of each recent window, which the cross-source spread is computed from.
 * @module
 */
import { type Candle, COMPOSITE_VENUE, LEGACY_VENUE } from "../candle.ts";
import { evictOldest } from "../evict_oldest.ts";
import type { VenueWindow } from "./cross_spread.ts";

/** Options of {@linkcode VenueWindowBook}. */
export interface VenueWindowBookOptions {
  /**
   * Windows kept per (symbol, interval): those less than this many intervals before its newest
   * venue candle. Default 16, the forecast engine's revisable intervals.
   */
  readonly revisable?: number;
  /** (symbol, interval) pairs held at once; beyond it the one whose newest window is oldest goes. */
  readonly maxSeries?: number;
}

interface Series {
  newest: number;
  readonly windows: Map<number, Map<string, Candle>>;
}

/**
 * Per (symbol, interval), each venue's latest candle of the windows within `revisable` intervals
 * of the newest (the composite and `legacy` rows are not venues and are ignored). A candle older
 * than that, or a version not above the one held, changes nothing. Pure: it sees only the candles
 * it is given, in the order given.
 *
 * @example
 * ```ts
 * import { VenueWindowBook } from "./venue_window_book.ts";
 * const book = new VenueWindowBook();
 * const c = { venue: "kraken", symbol: "BTC-USD", interval: "1m", window_start: 0, open: 1,
 *   high: 1, low: 1, close: 1, volume: 0, vwap: null, trades: 1, first_ts: 0, last_ts: 0,
 *   version: 1 };
 * book.add(c, 60_000); // true
 * book.add(c, 60_000); // false: a redelivery
 * book.window("BTC-USD", "1m", 0)?.size; // 1
 * ```
 */
export class VenueWindowBook {
  readonly #revisable: number;
  readonly #maxSeries: number;
  readonly #series = new Map<string, Series>();

  constructor(options: VenueWindowBookOptions = {}) {
    this.#revisable = options.revisable ?? 16;
    this.#maxSeries = options.maxSeries ?? Infinity;
  }

  /**
   * Takes a venue candle; true when it changed what is held (a venue's first candle of the window
   * or a higher version), false for the composite, a redelivery, an older version, or a window
   * `revisable` or more intervals before the newest.
   */
  add(candle: Candle, intervalMs: number): boolean {
    if (candle.venue === COMPOSITE_VENUE || candle.venue === LEGACY_VENUE) return false;
    const key = `${candle.symbol}\u0000${candle.interval}`;
    let s = this.#series.get(key);
    if (s === undefined) {
      s = { newest: -Infinity, windows: new Map() };
      this.#series.set(key, s);
    }
    const start = candle.window_start;
    const horizon = this.#revisable * intervalMs;
    if (start <= s.newest - horizon) return false;
    let w = s.windows.get(start);
    if (w === undefined) s.windows.set(start, w = new Map());
    const held = w.get(candle.venue);
    if (held !== undefined && held.version >= candle.version) return false;
    w.set(candle.venue, candle);
    if (start > s.newest) {
      s.newest = start;
      for (const old of s.windows.keys()) if (old <= start - horizon) s.windows.delete(old);
    }
    if (this.#series.size > this.#maxSeries) {
      evictOldest(this.#series, this.#maxSeries, (v) => v.newest);
    }
    return true;
  }

  /** The venue candles held for one window, or undefined when none are. */
  window(symbol: string, interval: string, windowStart: number): VenueWindow | undefined {
    return this.#series.get(`${symbol}\u0000${interval}`)?.windows.get(windowStart);
  }
}
