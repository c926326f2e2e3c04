/**
 * The anomaly detector: runs every rule on candles, indicator rows and ticks, and turns findings
 * into de-duplicated alerts.
 * @module
 */
import type { Alert, RuleName } from "../alert.ts";
import { type Candle, COMPOSITE_VENUE } from "../candle.ts";
import type { IndicatorRow } from "../indicator_row.ts";
import type { Tick } from "../tick.ts";
import { alertId, minuteStart, TICK_INTERVAL } from "./alert_id.ts";
import { bandBreakout } from "./band_breakout.ts";
import { Cooldown } from "./cooldown.ts";
import { DivergenceBuckets } from "./divergence_buckets.ts";
import { feedStale } from "./feed_stale.ts";
import { type Finding, priceSpike } from "./price_spike.ts";
import { sourceDivergence } from "./source_divergence.ts";
import { volumeSpike } from "./volume_spike.ts";
import { evictOldest } from "../evict_oldest.ts";

/** Rule settings; defaults are the issue's. */
export interface AnomalyOptions {
  /** Rules to run. Default: all five. */
  rules?: ReadonlySet<RuleName>;
  /** `price_spike`: previous returns (30) and |z| threshold (4). */
  priceSpikeLookback?: number;
  priceSpikeZ?: number;
  /** `volume_spike`: previous candles (30) and multiple of their median (5). */
  volumeSpikeLookback?: number;
  volumeSpikeMultiple?: number;
  /** `feed_stale`: silence, processing time, before a source counts as stale. Default 60 000 ms. */
  staleAfterMs?: number;
  /** `source_divergence`: percent (1) between latest prices at most `divergenceWindowMs` (10 000) apart. */
  divergencePercent?: number;
  divergenceWindowMs?: number;
  /**
   * Minimum event time between two alerts of one (venue, symbol, rule). Default 300 000 ms.
   * `source_divergence` takes it as the length of its fixed event-time buckets instead (at most
   * one alert per symbol and bucket: divergence_buckets.ts).
   */
  cooldownMs?: number;
  /**
   * Symbols the tick rules keep state for at once; beyond it the symbol heard from least
   * recently, in event time, is forgotten. Default: no limit.
   */
  maxSymbols?: number;
  /**
   * (venue, symbol, interval) series the candle rules keep at once; beyond it the series whose latest
   * candle is oldest is forgotten (its rules start cold if it comes back). Default: no limit.
   */
  maxSeries?: number;
}

/**
 * Sources tracked per symbol by the tick rules: real feeds number a handful, and the divergence
 * check looks at each of them on every tick, so a symbol with thousands of `source` values (a
 * hostile replay) must not make every tick cost thousands of steps. Later sources are not tracked.
 */
export const MAX_SOURCES_PER_SYMBOL = 16;

interface Point {
  window_start: number;
  close: number;
  volume: number;
}

interface Found {
  rule: RuleName;
  finding: Finding;
  threshold: number;
  what: string;
}

interface Latest {
  price: number;
  ts: number;
  seenAt: number;
}

const ALL_RULES: ReadonlySet<RuleName> = new Set<RuleName>([
  "price_spike",
  "volume_spike",
  "band_breakout",
  "feed_stale",
  "source_divergence",
]);

const NO_ALERTS: readonly Alert[] = Object.freeze([]);

// Candles kept per series beyond the lookbacks, so revisions of recent windows re-evaluate.
const REVISABLE = 16;

/**
 * Rules → alerts. Candle rules (`price_spike`, `volume_spike`, `band_breakout`) run per (venue,
 * symbol, interval) on each closed or revised candle with its indicator row; tick rules run per
 * symbol across its venues and file their alerts under the composite venue. A cooldown per
 * (venue, symbol, rule) in event time suppresses repeats; ids are deterministic.
 *
 * @example
 * ```ts
 * import { AnomalyDetector } from "./anomaly_detector.ts";
 * const detector = new AnomalyDetector();
 * const t = { source: "a", symbol: "BTC-USD", price: 100, size: 1, ts: 1_700_000_000_000, id: "1" };
 * detector.onTick(t);
 * detector.onTick({ ...t, source: "b", price: 103 })[0].rule; // "source_divergence"
 * ```
 */
export class AnomalyDetector {
  readonly #rules: ReadonlySet<RuleName>;
  readonly #o: Required<Omit<AnomalyOptions, "rules">>;
  readonly #cooldown: Cooldown;
  readonly #series = new Map<string, Point[]>();
  readonly #latest = new Map<string, Map<string, Latest>>();
  readonly #keep: number;
  readonly #divergenceOn: boolean;
  readonly #buckets: DivergenceBuckets;

  constructor(options: AnomalyOptions = {}) {
    this.#rules = options.rules ?? ALL_RULES;
    this.#divergenceOn = this.#rules.has("source_divergence");
    this.#o = {
      priceSpikeLookback: options.priceSpikeLookback ?? 30,
      priceSpikeZ: options.priceSpikeZ ?? 4,
      volumeSpikeLookback: options.volumeSpikeLookback ?? 30,
      volumeSpikeMultiple: options.volumeSpikeMultiple ?? 5,
      staleAfterMs: options.staleAfterMs ?? 60_000,
      divergencePercent: options.divergencePercent ?? 1,
      divergenceWindowMs: options.divergenceWindowMs ?? 10_000,
      cooldownMs: options.cooldownMs ?? 300_000,
      maxSymbols: options.maxSymbols ?? Infinity,
      maxSeries: options.maxSeries ?? Infinity,
    };
    const keys = Math.max(this.#o.maxSymbols, this.#o.maxSeries) * ALL_RULES.size;
    this.#cooldown = new Cooldown(this.#o.cooldownMs, keys);
    this.#buckets = new DivergenceBuckets(this.#o.cooldownMs, this.#o.divergenceWindowMs);
    this.#keep = Math.max(this.#o.priceSpikeLookback + 2, this.#o.volumeSpikeLookback + 1) +
      REVISABLE;
  }

  /** Candle rules for a closed or revised candle and its indicator row. */
  onIndicators(candle: Candle, row: IndicatorRow): Alert[] {
    const points = this.#upTo(candle);
    if (points === null) return [];
    const alerts: Alert[] = [];
    for (const { rule, finding, threshold, what } of this.#candleFindings(candle, row, points)) {
      const { venue, symbol, interval, window_start: windowStart } = candle;
      if (!this.#cooldown.allow(cooldownKey(venue, symbol), rule, windowStart)) continue;
      alerts.push(alert(finding, { venue, symbol, interval, rule, windowStart, threshold, what }));
    }
    return alerts;
  }

  // What the enabled candle rules find, in a fixed rule order.
  #candleFindings(candle: Candle, row: IndicatorRow, points: Point[]): Found[] {
    const o = this.#o;
    const found: Found[] = [];
    if (this.#rules.has("price_spike")) {
      const opts = { lookback: o.priceSpikeLookback, zThreshold: o.priceSpikeZ };
      const f = priceSpike(points.map((p) => p.close), opts);
      const what = `log return z-score ${fmt(f?.value)} vs ±${o.priceSpikeZ}`;
      if (f !== null) {
        found.push({ rule: "price_spike", finding: f, threshold: o.priceSpikeZ, what });
      }
    }
    // Volume means nothing when the feed has no sizes (vwap is null exactly when Σ size = 0).
    if (this.#rules.has("volume_spike") && candle.vwap !== null) {
      const opts = { lookback: o.volumeSpikeLookback, multiple: o.volumeSpikeMultiple };
      const f = volumeSpike(points.map((p) => p.volume), opts);
      const what = `volume ${fmt(f?.value)}× the median`;
      if (f !== null) {
        found.push({ rule: "volume_spike", finding: f, threshold: opts.multiple, what });
      }
    }
    const band = this.#rules.has("band_breakout") ? bandBreakout(row) : null;
    if (band !== null) {
      const what = `close ${row.close} outside band ${fmt(band.threshold)}`;
      found.push({ rule: "band_breakout", finding: band, threshold: band.threshold, what });
    }
    return found;
  }

  /**
   * How far back in event time a `source_divergence` decision reaches; a Kafka restore replay
   * reaches at least this far (docs/analytics.md).
   */
  get tickLookbackMs(): number {
    return this.#buckets.lookbackMs;
  }

  /**
   * A new Kafka owner's start: `reached` is the watermark the previous owner had reached at its
   * processed position. `source_divergence` then records and judges only the ticks its restore
   * replay holds everything before of, so it decides as the previous owner did (docs/analytics.md).
   */
  restoreTicks(reached: number): void {
    this.#buckets.restore(reached);
  }

  /**
   * Tick rules: records when the source was last heard and checks cross-source divergence for a
   * tick not behind the partition's `watermark` (event time). Runs for every tick, so it updates
   * the source's entry in place and allocates nothing unless an alert fires (the empty result is
   * a shared frozen array).
   */
  onTick(tick: Tick, receivedAtMs: number = tick.ts, watermark = -Infinity): readonly Alert[] {
    if (!this.#buckets.records(tick.ts)) return NO_ALERTS;
    let sources = this.#latest.get(tick.symbol);
    if (sources === undefined) {
      const limit = this.#o.maxSymbols;
      if (this.#latest.size >= limit) {
        for (const gone of evictOldest(this.#latest, limit - 1, newestTick)) {
          this.#buckets.forget(gone);
        }
      }
      this.#latest.set(tick.symbol, sources = new Map());
    }
    const prev = sources.get(tick.source);
    if (prev === undefined) {
      if (sources.size >= MAX_SOURCES_PER_SYMBOL) return NO_ALERTS;
      sources.set(tick.source, { price: tick.price, ts: tick.ts, seenAt: receivedAtMs });
    } else {
      if (tick.ts >= prev.ts) {
        prev.price = tick.price;
        prev.ts = tick.ts;
      }
      prev.seenAt = Math.max(prev.seenAt, receivedAtMs);
    }
    // With one source there is nothing to diverge from.
    if (sources.size < 2 || !this.#divergenceOn || !this.#buckets.judges(tick.ts, watermark)) {
      return NO_ALERTS;
    }
    return this.#divergence(tick, sources, watermark);
  }

  /** `feed_stale` for every (symbol, source) silent for the configured time at `nowMs` (processing time). */
  checkStale(nowMs: number): Alert[] {
    if (!this.#rules.has("feed_stale")) return [];
    const alerts: Alert[] = [];
    for (const symbol of [...this.#latest.keys()].sort()) {
      const sources = this.#latest.get(symbol)!;
      for (const source of [...sources.keys()].sort()) {
        const f = feedStale(sources.get(source)!.seenAt, nowMs, this.#o.staleAfterMs);
        if (f === null || !this.#cooldown.allow(symbol, "feed_stale", nowMs)) continue;
        const what = `no tick from ${source} for ${Math.round(f.value / 1000)} s`;
        alerts.push(
          alert(f, {
            venue: COMPOSITE_VENUE,
            symbol,
            interval: TICK_INTERVAL,
            rule: "feed_stale",
            windowStart: minuteStart(nowMs),
            threshold: this.#o.staleAfterMs,
            what,
          }),
        );
      }
    }
    return alerts;
  }

  #divergence(tick: Tick, sources: Map<string, Latest>, watermark: number): readonly Alert[] {
    let worst: Finding | null = null;
    let other = "";
    // The largest divergence; among equal ones the first source in name order (no sorted copy of
    // the keys per tick).
    for (const [source, l] of sources) {
      if (source === tick.source || Math.abs(l.ts - tick.ts) > this.#o.divergenceWindowMs) continue;
      const f = sourceDivergence(tick.price, l.price, this.#o.divergencePercent);
      if (
        f !== null &&
        (worst === null || f.value > worst.value || (f.value === worst.value && source < other))
      ) [worst, other] = [f, source];
    }
    if (worst === null || !this.#buckets.allow(tick.symbol, watermark, tick.ts)) return NO_ALERTS;
    const what = `${tick.source} ${tick.price} vs ${other} ${sources.get(other)!.price}: ${
      fmt(worst.value)
    } %`;
    const t = this.#o.divergencePercent;
    return [
      alert(worst, {
        venue: COMPOSITE_VENUE,
        symbol: tick.symbol,
        interval: TICK_INTERVAL,
        rule: "source_divergence",
        windowStart: minuteStart(tick.ts),
        threshold: t,
        what,
      }),
    ];
  }

  // Records the candle in its series (replacing a revised window) and returns the points up to
  // and including it; null when it is older than the series keeps.
  #upTo(c: Candle): Point[] | null {
    const key = `${c.venue}\u0000${c.symbol}\u0000${c.interval}`;
    let points = this.#series.get(key);
    if (points === undefined) {
      const limit = this.#o.maxSeries;
      if (this.#series.size >= limit) evictOldest(this.#series, limit - 1, newestPoint);
      this.#series.set(key, points = []);
    }
    let i = points.length;
    while (i > 0 && points[i - 1].window_start > c.window_start) i--;
    const p = { window_start: c.window_start, close: c.close, volume: c.volume };
    if (i > 0 && points[i - 1].window_start === c.window_start) points[--i] = p;
    else if (points.length >= this.#keep && i === 0) return null;
    else points.splice(i, 0, p);
    if (points.length > this.#keep) {
      points.shift();
      i--;
    }
    return points.slice(0, i + 1);
  }
}

function newestTick(sources: Map<string, Latest>): number {
  let newest = -Infinity;
  for (const l of sources.values()) if (l.ts > newest) newest = l.ts;
  return newest;
}

function newestPoint(points: Point[]): number {
  return points.length === 0 ? -Infinity : points[points.length - 1].window_start;
}

interface AlertFields {
  venue: string;
  symbol: string;
  interval: string;
  rule: RuleName;
  windowStart: number;
  threshold: number;
  what: string;
}

function alert(f: Finding, a: AlertFields): Alert {
  return {
    id: alertId(a.venue, a.symbol, a.interval, a.rule, a.windowStart),
    venue: a.venue,
    symbol: a.symbol,
    interval: a.interval,
    rule: a.rule,
    severity: f.severity,
    value: f.value,
    threshold: a.threshold,
    window_start: a.windowStart,
    message: `${
      a.venue === COMPOSITE_VENUE ? "" : `${a.venue} `
    }${a.symbol} ${a.interval} ${a.rule}: ${a.what}`,
  };
}

// Venues apart; the composite keyed by its symbol alone, as before alerts had a venue.
function cooldownKey(venue: string, symbol: string): string {
  return venue === COMPOSITE_VENUE ? symbol : `${venue}/${symbol}`;
}

function fmt(n: number | undefined): string {
  return n === undefined ? "?" : String(Math.round(n * 1000) / 1000);
}
