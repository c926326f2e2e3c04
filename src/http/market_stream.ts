/**
 * The pipeline's tap for the dashboard's live stream. The partition stages hand it what they hand
 * the latest view — ticks, closed candles and their late revisions, indicators, alerts, dead
 * letters — and it returns at once: while nobody watches (see `SseHub.active`) it does nothing;
 * otherwise it only appends to bounded buffers, which a timer turns into a few batched events:
 * `candles` (of the analytics venue, the one pages chart), `partial` and `indicators` per symbol
 * (topics: a page charting one symbol subscribes to it alone), `latest` (the fields the overview
 * shows of the newest candle and indicators of each series), `alerts`, `prices` (newer than those last sent,
 * read from the latest view) and `health` (topic {@linkcode HEALTH_TOPIC}: the health page's). A
 * buffer over its bound is discarded and a `reset` event sent instead: the browsers reload from
 * the read API. The last few dead letters are kept whether or not anyone watches (they are rare
 * and the health page shows them from its first load).
 * @module
 */
import type { Alert } from "../market/alert.ts";
import type { Candle } from "../market/candle.ts";
import type { DeadLetter } from "../market/dead_letter.ts";
import type { IndicatorRow } from "../market/indicator_row.ts";
import type { Interval } from "../market/interval.ts";
import type { Tick } from "../market/tick.ts";
import type { HealthSummary } from "./health_summary.ts";
import { PartialCandles } from "./partial_candles.ts";
import type { SseHub } from "./sse_hub.ts";

/** Folds `rows` into `newest`: the newest row (by window start, then version) of each series. */
function foldNewest<
  T extends {
    venue?: string;
    symbol: string;
    interval: string;
    window_start: number;
    version: number;
  },
>(newest: Map<string, T>, rows: readonly T[]): void {
  for (const r of rows) {
    const key = `${r.venue ?? ""}|${r.symbol}|${r.interval}`;
    const have = newest.get(key);
    if (
      !have || r.window_start > have.window_start ||
      (r.window_start === have.window_start && r.version >= have.version)
    ) newest.set(key, r);
  }
}

/**
 * What the overview shows of a series' newest candle and indicators: the `latest` event carries
 * only these fields (it goes to every page; the full rows are three times the bytes).
 */
function overviewCandle(c: Candle) {
  const { venue, symbol, interval, window_start, open, close, volume } = c;
  return { venue, symbol, interval, window_start, open, close, volume };
}

function overviewIndicators(r: IndicatorRow) {
  const { venue, symbol, interval, window_start, rsi } = r;
  return { venue, symbol, interval, window_start, rsi };
}

/** The newest price of a symbol, as the overview shows it. */
export interface PriceRow {
  readonly symbol: string;
  readonly price: number;
  readonly ts: number;
  readonly source: string;
}

/** What the stages call; each call returns without waiting. */
export interface MarketTap {
  ticks(rows: readonly Tick[]): void;
  candles(rows: readonly Candle[]): void;
  indicators(rows: readonly IndicatorRow[]): void;
  alerts(rows: readonly Alert[]): void;
  deadLetters(rows: readonly DeadLetter[]): void;
}

/** Options of {@linkcode MarketStream}. */
export interface MarketStreamOptions {
  readonly intervals: readonly Interval[];
  /** The venue the in-progress candles preview (the analytics venue, the composite by default). */
  readonly venue: string;
  /** Symbols with an in-progress candle at once (the pipeline's `--max-symbols`). */
  readonly maxSymbols: number;
  /** Rows of one kind held between flushes; beyond, a `reset` replaces them. */
  readonly maxPendingRows?: number;
  readonly flushMs?: number;
  /**
   * The overview's `latest` goes out at most this often (default 1000 ms), with the newest row
   * of each series since the last one: a replay far faster than real time closes every series'
   * window at every flush, and the overview (a table) needs only the newest.
   */
  readonly latestMs?: number;
  readonly healthMs?: number;
  readonly health: () => Promise<HealthSummary>;
  /**
   * Every symbol's newest price (the latest view's): read at each flush, so the tap does no
   * per-tick work for prices.
   */
  readonly prices: () => Iterable<PriceRow>;
  /** Wall clock, for `latestMs` (tests inject one). */
  readonly now?: () => number;
}

/**
 * The topic of the `health` events: only the health page follows it (lowercase, so never a
 * symbol). Summarising the registry every 2 s costs as much as the rest of a quiet stream.
 */
export const HEALTH_TOPIC = "health";

const RAW_CHARS = 240;
const RECENT_DEAD_LETTERS = 50;
/** A candle is ~250 bytes of JSON: 500 of them are ~125 KiB, an eighth of a client's buffer. */
const ROWS_PER_EVENT = 500;

/** Buffers the pipeline's records and publishes them to `hub` in batches. */
export class MarketStream implements MarketTap {
  readonly #hub: SseHub;
  readonly #o: MarketStreamOptions;
  readonly #maxPending: number;
  readonly #partials: PartialCandles;
  #candles: Candle[] = [];
  #indicators: IndicatorRow[] = [];
  #alerts: Alert[] = [];
  #dead: DeadLetter[] = [];
  #deadAt = 0;
  /** The time of each symbol's price last published: only newer prices go out. */
  #pricesSent = new Map<string, number>();
  /** The newest candle (of the analytics venue) and indicators per series since `latest` went. */
  #latestCandles = new Map<string, Candle>();
  #latestIndicators = new Map<string, IndicatorRow>();
  #latestAt = -Infinity;
  #overflow = false;
  readonly #timers: ReturnType<typeof setInterval>[] = [];

  constructor(hub: SseHub, o: MarketStreamOptions) {
    this.#hub = hub;
    this.#o = o;
    this.#maxPending = o.maxPendingRows ?? 10_000;
    this.#partials = new PartialCandles(o.intervals, o.maxSymbols, o.venue);
    this.#timers.push(setInterval(() => this.flush(), o.flushMs ?? 250));
    this.#timers.push(setInterval(() => void this.#health(), o.healthMs ?? 2000));
    for (const t of this.#timers) Deno.unrefTimer(t);
  }

  ticks(rows: readonly Tick[]): void {
    // The in-progress candle is a preview: only for symbols a page charts. Prices come from the
    // latest view at the flush.
    if (!this.#hub.active) return;
    const followed = this.#hub.followedTopics;
    if (followed?.size === 0) return;
    for (const t of rows) {
      if (followed === null || followed.has(t.symbol)) this.#partials.add(t);
    }
  }

  candles(rows: readonly Candle[]): void {
    if (!this.#hub.active) return;
    // Pages chart the analytics venue only: other venues' candles are the stores' and the API's.
    const venue = this.#o.venue;
    const charted = rows.filter((c) => c.venue === venue);
    for (const c of charted) this.#partials.closed(c);
    this.#candles = this.#append(this.#candles, charted);
  }

  indicators(rows: readonly IndicatorRow[]): void {
    if (!this.#hub.active) return;
    // Those of the charted venue, as for candles (the other analytics venues' are the API's).
    const venue = this.#o.venue;
    this.#indicators = this.#append(this.#indicators, rows.filter((r) => r.venue === venue));
  }

  alerts(rows: readonly Alert[]): void {
    if (this.#hub.active) this.#alerts = this.#append(this.#alerts, rows);
  }

  deadLetters(rows: readonly DeadLetter[]): void {
    // The newest RECENT_DEAD_LETTERS in a ring; only their beginning (a dead letter may be a
    // whole oversized message).
    for (const d of rows.slice(-RECENT_DEAD_LETTERS)) {
      const short = { ...d, raw: d.raw.slice(0, RAW_CHARS), detail: d.detail.slice(0, RAW_CHARS) };
      this.#dead[this.#deadAt++ % RECENT_DEAD_LETTERS] = short;
    }
  }

  /** The most recent dead letters, newest first. */
  recentDeadLetters(): DeadLetter[] {
    const n = Math.min(this.#deadAt, RECENT_DEAD_LETTERS);
    const out: DeadLetter[] = [];
    for (let i = 1; i <= n; i++) out.push(this.#dead[(this.#deadAt - i) % RECENT_DEAD_LETTERS]);
    return out;
  }

  /** Publishes what is buffered (the timer calls it; tests call it directly). */
  flush(): void {
    if (!this.#hub.active) {
      this.#clear();
      this.#pricesSent.clear();
      this.#clearLatest();
      return;
    }
    if (this.#overflow) {
      this.#overflow = false;
      this.#clear();
      this.#clearLatest();
      this.#hub.publish("reset", {});
      return;
    }
    // Per symbol, for the pages charting it; the newest per series for every page. Candles
    // first: a browser applies an indicator or alert to a bar it already has.
    this.#publishBySymbol("candles", this.#candles);
    this.#publishBySymbol("partial", this.#partials.takeChanged());
    this.#publishBySymbol("indicators", this.#indicators);
    this.#publishLatest();
    this.#publishRows("alerts", this.#alerts);
    this.#publishPrices();
    this.#clear();
  }

  /** Stops the timers. */
  close(): void {
    for (const t of this.#timers) clearInterval(t);
  }

  async #health(): Promise<void> {
    if (!this.#hub.wants(HEALTH_TOPIC)) return;
    try {
      this.#hub.publish("health", await this.#o.health(), HEALTH_TOPIC);
    } catch {
      // A failed read of the registry skips one update; the next one tries again.
    }
  }

  /** The overview's newest rows per series, at most every `latestMs`. */
  #publishLatest(): void {
    foldNewest(this.#latestCandles, this.#candles);
    foldNewest(this.#latestIndicators, this.#indicators);
    const now = (this.#o.now ?? Date.now)();
    if (now - this.#latestAt < (this.#o.latestMs ?? 1000)) return;
    if (this.#latestCandles.size === 0 && this.#latestIndicators.size === 0) return;
    this.#latestAt = now;
    this.#hub.publish("latest", {
      candles: [...this.#latestCandles.values()].map(overviewCandle),
      indicators: [...this.#latestIndicators.values()].map(overviewIndicators),
    });
    this.#latestCandles = new Map();
    this.#latestIndicators = new Map();
  }

  /** The prices newer than those last published, as one event. */
  #publishPrices(): void {
    const sent = new Map<string, number>();
    const prices: PriceRow[] = [];
    for (const p of this.#o.prices()) {
      if (!Number.isFinite(p.ts)) continue;
      sent.set(p.symbol, p.ts);
      if (p.ts > (this.#pricesSent.get(p.symbol) ?? -Infinity)) {
        prices.push({ symbol: p.symbol, price: p.price, ts: p.ts, source: p.source });
      }
    }
    // Rebuilt each time: it holds only the symbols the view still holds.
    this.#pricesSent = sent;
    if (prices.length) this.#hub.publish("prices", prices);
  }

  /** Rows in events of at most ROWS_PER_EVENT: each well within a client's buffer. */
  #publishRows(type: string, rows: readonly unknown[], topic?: string): void {
    for (let i = 0; i < rows.length; i += ROWS_PER_EVENT) {
      this.#hub.publish(type, rows.slice(i, i + ROWS_PER_EVENT), topic);
    }
  }

  /** Each symbol's rows as events of that topic. */
  #publishBySymbol(type: string, rows: readonly { symbol: string }[]): void {
    const bySymbol = Map.groupBy(rows, (r) => r.symbol);
    for (const [symbol, mine] of bySymbol) this.#publishRows(type, mine, symbol);
  }

  #append<T>(buf: T[], rows: readonly T[]): T[] {
    if (this.#overflow || buf.length + rows.length > this.#maxPending) {
      this.#overflow = true;
      return [];
    }
    for (const r of rows) buf.push(r);
    return buf;
  }

  #clearLatest(): void {
    this.#latestCandles = new Map();
    this.#latestIndicators = new Map();
  }

  #clear(): void {
    this.#candles = [];
    this.#indicators = [];
    this.#alerts = [];
  }
}
