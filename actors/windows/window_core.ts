/**
 * The per-tick work of one partition's window stage, apart from where it runs: event-time venue
 * candles (src/market/candle_aggregator.ts), the composite candles built from them
 * (src/market/composite_book.ts; a symbol's venues share a partition), the tick-level anomaly
 * rules and per-source tick counts. The window aggregator actor runs one in its own thread; in
 * Kafka mode the window worker thread runs them (window_worker_host.ts), so the consumer's thread
 * only decodes Kafka's protocol.
 * @module
 */
import type { Alert } from "../../src/market/alert.ts";
import type { Candle } from "../../src/market/candle.ts";
import { CandleAggregator } from "../../src/market/candle_aggregator.ts";
import { CompositeBook } from "../../src/market/composite_book.ts";
import type { CompositeOptions } from "../../src/market/composite_candle.ts";
import type { DeadLetter } from "../../src/market/dead_letter.ts";
import type { Interval } from "../../src/market/interval.ts";
import type { Tick } from "../../src/market/tick.ts";
import { recordJson } from "../../src/market/record_json.ts";

/** Tick-level anomaly rules (they need every tick, so they run where the ticks are). */
export interface TickRules {
  /**
   * `receivedAtMs` is processing time: staleness is about when the feed was last heard;
   * `watermark` is the partition's event-time watermark after the tick.
   */
  onTick(tick: Tick, receivedAtMs: number, watermark: number): readonly Alert[];
  checkStale(nowMs: number): readonly Alert[];
  /** A new owner's start: the watermark the previous owner reached at its processed position. */
  restore(reached: number): void;
  /** How far back in event time a tick rule's decision reaches (a restore replays at least that). */
  readonly lookbackMs: number;
}

/** A new Kafka owner's start, from the previous owner's commit. */
export interface RestorePoint {
  /** The watermark at the restore point: windows are rebuilt from there. */
  readonly watermark: number;
  /** The watermark at the processed position (the committed offset): the tick rules' horizon. */
  readonly reached: number;
}

/** Counts accepted ticks (per source and symbol, for `pipeline_ticks_total`). */
export interface TickCounter {
  record(t: Tick): void;
}

/** Window settings of one partition. */
export interface WindowSettings {
  readonly intervals: readonly Interval[];
  readonly allowedLatenessMs: number;
  readonly lateUpdateWindowMs: number;
  /** (venue, symbol) series this partition holds state for at once; one more is refused. */
  readonly maxSymbols?: number;
  /** How the composite candles are built (docs/analytics.md); defaults when absent. */
  readonly composite?: CompositeOptions;
  /**
   * Venue → symbol → the venue's own instrument, where configuration renamed it (the Binance
   * symbol map): stamped on that venue's candles so the equivalence shows in the data.
   */
  readonly instruments?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** What a step produced, in the order it must be handed on. */
export interface WindowOutput {
  /** Venue candles, then the composites they changed, step by step. */
  readonly candles: Candle[];
  /** Ticks too late for a window (`late`) or refused for a new symbol (`symbol_limit`). */
  readonly rejected: DeadLetter[];
  readonly alerts: Alert[];
}

/** One partition's candle, rule and count state. */
export class WindowCore {
  readonly #agg: CandleAggregator;
  readonly #book: CompositeBook;
  readonly #instruments: NonNullable<WindowSettings["instruments"]>;
  readonly #counter: TickCounter;
  readonly #rules: TickRules | null;
  readonly #maxSymbols: number;
  #candles: Candle[] = [];
  #rejected: DeadLetter[] = [];
  #alerts: Alert[] = [];
  #now = 0;
  /** The tick being added was a duplicate (set by the aggregator's output). */
  #duplicate = false;
  readonly #out = {
    candle: (c: Candle) => {
      const instrument = this.#instruments[c.venue]?.[c.symbol];
      const stamped = instrument === undefined ? c : { ...c, instrument };
      this.#candles.push(stamped);
      this.#book.add(stamped);
    },
    late: (tick: Tick, detail: string) => this.#reject(tick, "late", detail),
    duplicate: (_tick: Tick) => void (this.#duplicate = true),
  };

  constructor(settings: WindowSettings, counter: TickCounter, rules: TickRules | null) {
    this.#agg = new CandleAggregator({
      intervals: settings.intervals,
      allowedLatenessMs: settings.allowedLatenessMs,
      lateUpdateWindowMs: settings.lateUpdateWindowMs,
      maxSymbols: settings.maxSymbols,
    });
    this.#book = new CompositeBook(
      settings.intervals,
      settings.lateUpdateWindowMs,
      settings.composite ?? {},
    );
    this.#maxSymbols = settings.maxSymbols ?? Infinity;
    this.#instruments = settings.instruments ?? {};
    this.#counter = counter;
    this.#rules = rules;
  }

  /** Processing time for what follows (late dead letters, the rules' receive time). */
  set now(ms: number) {
    this.#now = ms;
  }

  /**
   * One tick, in partition order. True when it is a new tick (raw-tick stores keep it). False for
   * a duplicate of a tick already counted (see docs/analytics.md: the archive must hold what the
   * candles count), and for a tick refused because the partition already holds state for
   * `maxSymbols` other symbols (a `symbol_limit` dead letter, not counted, not aggregated).
   */
  add(t: Tick): boolean {
    if (!this.#agg.admits(t.source, t.symbol)) {
      this.#reject(t, "symbol_limit", `${this.#maxSymbols} symbols already hold state here`);
      return false;
    }
    this.#counter.record(t);
    this.#duplicate = false;
    this.#agg.add(t, this.#out);
    this.#composites();
    const rules = this.#rules;
    if (rules !== null) {
      const alerts = rules.onTick(t, this.#now, this.#agg.watermark);
      for (let i = 0; i < alerts.length; i++) this.#alerts.push(alerts[i]);
    }
    return !this.#duplicate;
  }

  /** A new owner's start: the watermarks the previous owner had reached. */
  restore(point: RestorePoint): void {
    this.#agg.advanceTo(point.watermark, this.#out);
    this.#composites();
    this.#rules?.restore(point.reached);
  }

  /** End of finite input: emits every open window. */
  flush(): void {
    this.#agg.flush(this.#out);
    this.#composites();
  }

  // After each step of the aggregator: the composites of the windows it changed
  // (composite_book.ts).
  #composites(): void {
    const composites = this.#book.take(this.#agg.watermark);
    for (let i = 0; i < composites.length; i++) this.#candles.push(composites[i]);
  }

  /**
   * The idle timer fired: runs the stale-feed check and, when the partition has been quiet for
   * `quietMs` ≥ `timeoutMs` (> 0), moves event time on as processing time did. True when it did.
   */
  idle(quietMs: number, timeoutMs: number): boolean {
    if (this.#rules !== null) {
      for (const a of this.#rules.checkStale(this.#now)) this.#alerts.push(a);
    }
    if (timeoutMs <= 0 || quietMs < timeoutMs || !Number.isFinite(this.#agg.watermark)) {
      return false;
    }
    this.#agg.advanceTo(this.#agg.watermark + quietMs, this.#out);
    this.#composites();
    return true;
  }

  /** What the steps since the last call produced. */
  take(): WindowOutput {
    const out = { candles: this.#candles, rejected: this.#rejected, alerts: this.#alerts };
    this.#candles = [];
    this.#rejected = [];
    this.#alerts = [];
    return out;
  }

  /** Symbols holding window state now. */
  get symbols(): number {
    return this.#agg.symbols;
  }

  #reject(tick: Tick, reason: "late" | "symbol_limit", detail: string): void {
    this.#rejected.push({
      reason,
      detail,
      raw: recordJson(tick),
      source: tick.source,
      ts: this.#now,
    });
  }

  get watermark(): number {
    return this.#agg.watermark;
  }

  get lateRejected(): number {
    return this.#agg.lateRejected;
  }

  get lateRevised(): number {
    return this.#agg.lateRevised;
  }
}
