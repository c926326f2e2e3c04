/**
 * Indicators per (venue, symbol, interval) on closed candles, recomputed when a candle is revised.
 * @module
 */
import type { Candle } from "./candle.ts";
import type { IndicatorRow } from "./indicator_row.ts";
import { bollingerAt } from "./indicators/bollinger.ts";
import { emaStart, type EmaState, emaStep } from "./indicators/ema.ts";
import { rsiStart, type RsiState, rsiStep } from "./indicators/rsi.ts";
import { smaAt } from "./indicators/sma.ts";
import { volatilityAt } from "./indicators/volatility.ts";
import { evictOldest } from "./evict_oldest.ts";

/** Indicator periods; the defaults are the issue's. */
export interface IndicatorSettings {
  /** SMA period. Default 20. */
  sma?: number;
  /** Fast and slow EMA periods. Default 12 and 26. */
  emaFast?: number;
  emaSlow?: number;
  /** RSI period. Default 14. */
  rsi?: number;
  /** Bollinger period and σ multiplier. Default 20 and 2. */
  bollingerPeriod?: number;
  bollingerMultiplier?: number;
  /** Volatility period (log returns). Default 20. */
  volatility?: number;
  /**
   * How many of the latest candles per series can still be revised (and recomputed). A revision
   * older than that is ignored, since the state before it is gone. Default 64: far more than the
   * late-update window allows for any interval ≥ 1 s.
   */
  revisable?: number;
  /**
   * Series (venue, symbol, interval) kept at once; beyond it the series whose latest candle is oldest
   * is forgotten (it starts cold if it comes back). Default: no limit.
   */
  maxSeries?: number;
}

interface Entry {
  window_start: number;
  close: number;
  candleVersion: number;
  rowVersion: number;
  /** Recursive states after this candle, so a revision restarts from the one before it. */
  emaFast: EmaState;
  emaSlow: EmaState;
  rsi: RsiState;
}

interface Series {
  readonly venue: string;
  readonly symbol: string;
  readonly interval: string;
  readonly entries: Entry[];
  /** Entries dropped from the front (warm-up counts still include them). */
  dropped: number;
}

/**
 * Computes one {@linkcode IndicatorRow} per candle. Indicators run over the sequence of candles
 * of a (venue, symbol, interval) in window order; windows without trades have no candle and are
 * skipped. A revised candle (or a late first candle of an older window) recomputes its row and
 * every later row, each with a higher version than it had, so stores keep the newest.
 *
 * @example
 * ```ts
 * import { IndicatorEngine } from "./indicator_engine.ts";
 * const engine = new IndicatorEngine({ sma: 2 });
 * const base = { venue: "composite", symbol: "BTC-USD", interval: "1m", high: 1, low: 1, volume: 0, vwap: null, trades: 1, first_ts: 0, last_ts: 0, version: 1 };
 * engine.onCandle({ ...base, window_start: 0, open: 1, close: 1 });
 * engine.onCandle({ ...base, window_start: 60000, open: 3, close: 3 })[0].sma; // 2
 * ```
 */
export class IndicatorEngine {
  readonly #p: Required<Omit<IndicatorSettings, "maxSeries">>;
  readonly #maxSeries: number;
  readonly #keep: number;
  readonly #series = new Map<string, Series>();

  constructor(settings: IndicatorSettings = {}) {
    this.#p = {
      sma: settings.sma ?? 20,
      emaFast: settings.emaFast ?? 12,
      emaSlow: settings.emaSlow ?? 26,
      rsi: settings.rsi ?? 14,
      bollingerPeriod: settings.bollingerPeriod ?? 20,
      bollingerMultiplier: settings.bollingerMultiplier ?? 2,
      volatility: settings.volatility ?? 20,
      revisable: settings.revisable ?? 64,
    };
    this.#maxSeries = settings.maxSeries ?? Infinity;
    // Enough closes behind the oldest revisable entry for every windowed indicator.
    const p = this.#p;
    this.#keep = Math.max(p.sma, p.bollingerPeriod, p.volatility + 1) + p.revisable;
    for (const n of [p.sma, p.emaFast, p.emaSlow, p.rsi, p.bollingerPeriod, p.revisable]) {
      if (!Number.isInteger(n) || n < 1) {
        throw new RangeError(
          `Cannot create IndicatorEngine: periods must be positive integers, received ${n}`,
        );
      }
    }
    if (!Number.isInteger(p.volatility) || p.volatility < 2) {
      throw new RangeError(
        `Cannot create IndicatorEngine: volatility period must be ≥ 2, received ${p.volatility}`,
      );
    }
  }

  /** Rows to emit for this candle, in window order: its own, then later ones it changed. */
  onCandle(candle: Candle): IndicatorRow[] {
    const s = this.#seriesOf(candle);
    const entries = s.entries;
    let i = entries.length;
    while (i > 0 && entries[i - 1].window_start > candle.window_start) i--;
    const existing = i > 0 && entries[i - 1].window_start === candle.window_start;
    const at = existing ? i - 1 : i;
    // A redelivered or older version changes nothing.
    if (existing && candle.version <= entries[at].candleVersion) return [];
    // Too old to recompute: the states and closes before it are gone.
    if (s.dropped > 0 && at < entries.length - this.#p.revisable) return [];
    const entry = this.#blank(candle, existing ? entries[at].rowVersion : 0);
    if (existing) entries[at] = entry;
    else entries.splice(at, 0, entry);
    const rows: IndicatorRow[] = [];
    for (let j = at; j < entries.length; j++) rows.push(this.#recompute(s, j, j === at));
    this.#trim(s);
    return rows;
  }

  #seriesOf(c: Candle): Series {
    const key = `${c.venue}\u0000${c.symbol}\u0000${c.interval}`;
    let s = this.#series.get(key);
    if (s === undefined) {
      if (this.#series.size >= this.#maxSeries) {
        evictOldest(this.#series, this.#maxSeries - 1, newestWindow);
      }
      s = { venue: c.venue, symbol: c.symbol, interval: c.interval, entries: [], dropped: 0 };
      this.#series.set(key, s);
    }
    return s;
  }

  #blank(c: Candle, rowVersion: number): Entry {
    const p = this.#p;
    return {
      window_start: c.window_start,
      close: c.close,
      candleVersion: c.version,
      rowVersion,
      emaFast: emaStart(p.emaFast),
      emaSlow: emaStart(p.emaSlow),
      rsi: rsiStart(p.rsi),
    };
  }

  // Recomputes entry j from entry j − 1's states; its row version rises above what it had and
  // never falls below its candle's version.
  #recompute(s: Series, j: number, own: boolean): IndicatorRow {
    const p = this.#p;
    const e = s.entries[j];
    const prev = j > 0 ? s.entries[j - 1] : null;
    e.emaFast = emaStep(prev?.emaFast ?? emaStart(p.emaFast), e.close);
    e.emaSlow = emaStep(prev?.emaSlow ?? emaStart(p.emaSlow), e.close);
    e.rsi = rsiStep(prev?.rsi ?? rsiStart(p.rsi), e.close);
    e.rowVersion = Math.max(e.rowVersion + 1, own ? e.candleVersion : 0);
    const closes = s.entries.map((x) => x.close);
    const bands = bollingerAt(closes, {
      period: p.bollingerPeriod,
      multiplier: p.bollingerMultiplier,
    }, j);
    return {
      venue: s.venue,
      symbol: s.symbol,
      interval: s.interval,
      window_start: e.window_start,
      close: e.close,
      sma: smaAt(closes, p.sma, j),
      ema_fast: e.emaFast.value,
      ema_slow: e.emaSlow.value,
      rsi: e.rsi.value,
      bb_upper: bands?.upper ?? null,
      bb_middle: bands?.middle ?? null,
      bb_lower: bands?.lower ?? null,
      volatility: volatilityAt(closes, p.volatility, j),
      version: e.rowVersion,
    };
  }

  #trim(s: Series): void {
    const extra = s.entries.length - this.#keep;
    if (extra > 0) {
      s.entries.splice(0, extra);
      s.dropped += extra;
    }
  }
}

function newestWindow(s: Series): number {
  return s.entries.length === 0 ? -Infinity : s.entries[s.entries.length - 1].window_start;
}
