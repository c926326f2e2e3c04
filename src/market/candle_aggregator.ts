/**
 * Event-time OHLCV candles over tumbling windows, with a per-partition watermark, late updates
 * and duplicate suppression. Pure: time only moves through the ticks and `advanceTo()`.
 * @module
 */
import type { Candle } from "./candle.ts";
import type { Interval } from "./interval.ts";
import {
  floorTo,
  gcd,
  newSymbolState,
  refreshOpenRange,
  type Slot,
  type SymbolState,
  type Window,
  windowStats,
} from "./symbol_windows.ts";
import { TickBucket } from "./tick_bucket.ts";
import type { Tick } from "./tick.ts";
import { integerId } from "./tick_order.ts";
import { TradeStats } from "./trade_stats.ts";

/** Options of {@linkcode CandleAggregator}. */
export interface AggregatorOptions {
  /** Window lengths, e.g. from `parseIntervals("1m,5m,1h")`. At least one. */
  intervals: readonly Interval[];
  /** Watermark = max event time seen − this. Default 2000 ms. */
  allowedLatenessMs?: number;
  /** How long after its end (by watermark) an emitted window still accepts late ticks. Default 60 000 ms. */
  lateUpdateWindowMs?: number;
  /**
   * (venue, symbol) series that may hold state at once (see {@linkcode CandleAggregator.admits}).
   * Default: no limit.
   */
  maxSymbols?: number;
}

/** Where the aggregator delivers, synchronously, in a deterministic order. */
export interface AggregatorOutput {
  /** A final candle (version 1) or a revision after late data (version 2, 3, …). */
  candle(c: Candle): void;
  /** A tick too late for at least one interval's window (its late-update window has passed). */
  late(tick: Tick, detail: string): void;
  /** A tick whose (source, symbol, id) was already counted. */
  duplicate(tick: Tick): void;
}

interface Closing {
  readonly w: Window;
  readonly slot: Slot;
  readonly st: SymbolState;
}

/**
 * Turns one input partition's ticks (all its symbols) into candles for every interval, one
 * candle per venue: the tick's `source` is its venue, and two venues' trades of one symbol never
 * share a candle.
 *
 * A window [start, start + interval) is emitted with version 1 once the watermark reaches its
 * end; candles come out ordered by window end, interval length, symbol, venue, however the watermark
 * moves. A later tick for an emitted window re-emits it with version + 1 while the watermark is
 * within `lateUpdateWindowMs` of the window's end, and is reported `late` after that. A repeated
 * (source, symbol, id) is reported `duplicate` and counted once while any of its windows can
 * still change. See docs/analytics.md for the full semantics.
 *
 * @example
 * ```ts
 * import { CandleAggregator } from "./candle_aggregator.ts";
 * import { parseIntervals } from "./interval.ts";
 * import type { Candle } from "./candle.ts";
 * const candles: Candle[] = [];
 * const out = { candle: (c: Candle) => candles.push(c), late: () => {}, duplicate: () => {} };
 * const agg = new CandleAggregator({ intervals: parseIntervals("1m") });
 * agg.add({ source: "sim", symbol: "BTC-USD", price: 100, size: 1, ts: 1_700_000_000_000, id: "1" }, out);
 * agg.flush(out); // candles[0].close === 100
 * ```
 */
export class CandleAggregator {
  readonly #intervals: readonly Interval[];
  readonly #lateness: number;
  readonly #lateUpdate: number;
  readonly #bucketMs: number;
  readonly #bucketLife: number;
  readonly #cellMs: number;
  readonly #maxSymbols: number;
  /**
   * Symbol → its states, one per venue, chained through `nextVenue`. Keyed by symbol alone so
   * that a tick costs one map lookup: ticks of many symbols interleave, so the last-state shortcut
   * below rarely hits, and a venue → symbol map cost two lookups (17 % of the per-tick time).
   */
  readonly #symbols = new Map<string, SymbolState>();
  /** The state the last tick went to: consecutive ticks of one series skip the lookup. */
  #lastState: SymbolState | null = null;
  #series = 0;
  #watermark = -Infinity;
  #nextClose = Infinity;
  #nextExpire = Infinity;
  readonly #closing: Closing[] = [];
  #duplicates = 0;
  #lateRevised = 0;
  #lateRejected = 0;

  constructor(options: AggregatorOptions) {
    if (options.intervals.length === 0) {
      throw new RangeError("Cannot create CandleAggregator: intervals must not be empty");
    }
    this.#intervals = [...options.intervals].sort((a, b) => a.ms - b.ms);
    this.#lateness = Math.max(0, options.allowedLatenessMs ?? 2000);
    this.#lateUpdate = Math.max(0, options.lateUpdateWindowMs ?? 60_000);
    this.#maxSymbols = options.maxSymbols ?? Infinity;
    const longest = this.#intervals[this.#intervals.length - 1].ms;
    this.#bucketMs = longest;
    this.#cellMs = this.#intervals.reduce((g, i) => gcd(g, i.ms), longest);
    // Every window around a bucket's ticks ends by the bucket's end when all intervals divide
    // the longest; otherwise within one more longest interval.
    const nested = this.#intervals.every((i) => longest % i.ms === 0);
    this.#bucketLife = longest + (nested ? 0 : longest) + this.#lateUpdate;
  }

  /** Ticks dropped as duplicates so far. */
  get duplicates(): number {
    return this.#duplicates;
  }

  /** Late ticks that revised (or first produced) an emitted window. */
  get lateRevised(): number {
    return this.#lateRevised;
  }

  /** Late ticks rejected for at least one interval. */
  get lateRejected(): number {
    return this.#lateRejected;
  }

  /** (venue, symbol) series holding state now: open or revisable windows, or ids remembered. */
  get symbols(): number {
    return this.#series;
  }

  /**
   * Whether a tick of `symbol` from `venue` may be added: the series holds state already, or
   * fewer than `maxSymbols` do. A series' state is dropped once it holds nothing (every window final and
   * past its late-update limit, every bucket of seen ids expired), which changes no result: a
   * fresh state behaves exactly like an emptied one. So the answer depends only on the ticks and
   * the watermark, never on batching or timing.
   */
  admits(venue: string, symbol: string): boolean {
    return this.#series < this.#maxSymbols || this.#find(venue, symbol) !== undefined;
  }

  /** Current watermark (event-time ms); -Infinity before the first tick. */
  get watermark(): number {
    return this.#watermark;
  }

  /** Adds one valid tick; may emit closed or revised candles, or report it late or duplicate. */
  add(tick: Tick, out: AggregatorOutput): void {
    const ts = tick.ts;
    const st = this.#state(tick.source, tick.symbol);
    let bucket = st.last;
    if (bucket === null || !(ts >= bucket.start && ts < bucket.start + this.#bucketMs)) {
      bucket = this.#bucket(st, ts);
      if (bucket === null) return this.#reportLate(st, tick, out);
    }
    const num = tick.idNum ?? integerId(tick.id);
    if (!bucket.firstSeen(tick.source, tick.id, num)) {
      this.#duplicates++;
      return out.duplicate(tick);
    }
    // Only a tick older than the late-update window can be too late for some interval; it then
    // goes to each accepting window's own stats instead of the shared cell.
    const partial = ts + this.#lateUpdate <= this.#watermark && this.#tooLateForSome(st, ts);
    if (!partial) this.#cell(st, bucket, ts).add(tick, num);
    // Fast path: the tick lies in every interval's current open window.
    if (!partial && ts >= st.openLo && ts < st.openHi) return this.#advance(ts, out);
    this.#slots(st, tick, num, partial, out);
    if (partial) this.#reportLate(st, tick, out);
    this.#advance(ts, out);
  }

  #advance(ts: number, out: AggregatorOutput): void {
    if (ts - this.#lateness > this.#watermark) this.#raise(ts - this.#lateness, out);
  }

  // Adds the tick to each interval's window (opening, revising or skipping it as too late).
  #slots(st: SymbolState, tick: Tick, num: number, partial: boolean, out: AggregatorOutput): void {
    const ts = tick.ts;
    let revised = false;
    const slots = st.slots;
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k];
      const cur = slot.cur;
      if (cur !== null && ts >= cur.start && ts < cur.end && cur.version === 0) {
        if (partial) (cur.extra ??= new TradeStats()).add(tick, num);
        continue;
      }
      const start = floorTo(ts, slot.ms);
      const end = start + slot.ms;
      if (end + this.#lateUpdate <= this.#watermark) continue;
      const w = this.#window(slot, start);
      if (partial) (w.extra ??= new TradeStats()).add(tick, num);
      if (end <= this.#watermark) {
        w.version++;
        w.revise = false;
        out.candle(this.#candle(st, slot, w));
        revised = true;
      } else if (w.version > 0 && !w.revise) {
        // Emitted early by an end of input and still open: revised once the watermark closes it.
        w.revise = true;
        if (end < this.#nextClose) this.#nextClose = end;
      }
    }
    if (revised) this.#lateRevised++;
    refreshOpenRange(st);
  }

  /**
   * Raises the watermark to `eventTimeMs` (never lowers it), emitting what that closes. For idle
   * partitions: the caller decides from processing time (see docs/analytics.md).
   */
  advanceTo(eventTimeMs: number, out: AggregatorOutput): void {
    if (eventTimeMs > this.#watermark) this.#raise(eventTimeMs, out);
  }

  /**
   * End of input: emits every open window now (version 1, or the next version of a window emitted
   * early before and changed since), in the usual order. The watermark does not move: ticks that
   * come later follow the normal rules, and a tick for a window emitted early makes it emit again,
   * as a revision, when the watermark closes it.
   */
  flush(out: AggregatorOutput): void {
    for (const st of this.#allStates()) {
      for (const slot of st.slots) {
        for (const w of slot.windows) {
          if (w.version === 0 || w.revise) this.#closing.push({ w, slot, st });
        }
      }
      // The fast path assumes the current windows are unemitted: not true any more.
      st.openLo = st.openHi = NaN;
    }
    this.#emitClosing(out);
    this.#nextClose = Infinity;
  }

  /** Windows held (open or revisable) and duplicate-tracking entries: for memory gauges. */
  get stateSize(): { windows: number; seenIds: number } {
    let windows = 0;
    let seenIds = 0;
    for (const st of this.#allStates()) {
      for (const slot of st.slots) windows += slot.windows.length;
      for (const b of st.buckets.values()) seenIds += b.seenSize;
    }
    return { windows, seenIds };
  }

  #state(venue: string, symbol: string): SymbolState {
    const last = this.#lastState;
    if (last !== null && last.symbol === symbol && last.venue === venue) return last;
    let st = this.#find(venue, symbol);
    if (st === undefined) {
      st = newSymbolState(venue, symbol, this.#intervals, this.#symbols.get(symbol));
      this.#symbols.set(symbol, st);
      this.#series++;
    }
    return this.#lastState = st;
  }

  // The series' state: one map lookup, then a walk of the symbol's few venues.
  #find(venue: string, symbol: string): SymbolState | undefined {
    let st = this.#symbols.get(symbol);
    while (st !== undefined && st.venue !== venue) st = st.nextVenue;
    return st;
  }

  *#allStates(): Iterable<SymbolState> {
    for (const head of this.#symbols.values()) {
      for (let st: SymbolState | undefined = head; st !== undefined; st = st.nextVenue) yield st;
    }
  }

  // The tick's bucket, or null when every window it could touch is past its late-update limit.
  #bucket(st: SymbolState, ts: number): TickBucket | null {
    const start = floorTo(ts, this.#bucketMs);
    if (start + this.#bucketLife <= this.#watermark) return null;
    let b = st.buckets.get(start);
    if (b === undefined) {
      st.buckets.set(start, b = new TickBucket(start));
      this.#nextExpire = Math.min(this.#nextExpire, start + this.#bucketLife);
    }
    st.last = b;
    return b;
  }

  #cell(st: SymbolState, bucket: TickBucket, ts: number): TradeStats {
    const cell = st.cell;
    if (cell !== null && ts >= st.cellStart && ts < st.cellStart + this.#cellMs) return cell;
    st.cellStart = floorTo(ts, this.#cellMs);
    return st.cell = bucket.cell(st.cellStart);
  }

  #tooLateForSome(st: SymbolState, ts: number): boolean {
    return st.slots.some((s) => floorTo(ts, s.ms) + s.ms + this.#lateUpdate <= this.#watermark);
  }

  // The window starting at `start`, created when missing.
  #window(slot: Slot, start: number): Window {
    const windows = slot.windows;
    for (let i = 0; i < windows.length; i++) {
      if (windows[i].start === start) return windows[i];
    }
    const w: Window = { start, end: start + slot.ms, version: 0, revise: false, extra: null };
    windows.push(w);
    if (w.end > this.#watermark) {
      slot.cur = w;
      this.#nextClose = Math.min(this.#nextClose, w.end);
    } else {
      // Closed empty: this late tick is its first content, emitted as version 1 by the caller.
      this.#nextExpire = Math.min(this.#nextExpire, w.end + this.#lateUpdate);
    }
    return w;
  }

  #candle(st: SymbolState, slot: Slot, w: Window): Candle {
    const stats = windowStats(st, w, this.#cellMs, this.#bucketMs);
    return stats.toCandle(st.venue, st.symbol, slot.name, w.start, w.version);
  }

  #reportLate(st: SymbolState, tick: Tick, out: AggregatorOutput): void {
    this.#lateRejected++;
    const names = st.slots
      .filter((s) => floorTo(tick.ts, s.ms) + s.ms + this.#lateUpdate <= this.#watermark)
      .map((s) => s.name);
    out.late(
      tick,
      `past the late-update limit for ${names.join(", ")} (watermark ${this.#watermark})`,
    );
  }

  #raise(watermark: number, out: AggregatorOutput): void {
    this.#watermark = watermark;
    if (watermark >= this.#nextClose || watermark >= this.#nextExpire) this.#sweep(out);
  }

  // Runs when the watermark crosses a window end or an expiry: a few times per interval of
  // event time, so scanning every symbol here keeps the per-tick path free of bookkeeping.
  #sweep(out: AggregatorOutput): void {
    const wm = this.#watermark;
    let nextClose = Infinity;
    let nextExpire = Infinity;
    for (const st of this.#allStates()) {
      for (const slot of st.slots) {
        const kept: Window[] = [];
        for (const w of slot.windows) {
          const closes = w.version === 0 || w.revise;
          if (closes && w.end <= wm) this.#closing.push({ w, slot, st });
          if (closes && w.end > wm) nextClose = Math.min(nextClose, w.end);
          if (w.end + this.#lateUpdate > wm) {
            kept.push(w);
            nextExpire = Math.min(nextExpire, w.end + this.#lateUpdate);
          }
        }
        slot.windows = kept;
        if (slot.cur !== null && slot.cur.end <= wm) slot.cur = null;
      }
      // Windows may have closed: back to the slot-by-slot path until it finds open ones.
      st.openLo = st.openHi = NaN;
    }
    this.#nextClose = nextClose;
    // Emit before dropping buckets: a closing window may still need their cells.
    this.#emitClosing(out);
    for (const [symbol, head] of this.#symbols) {
      // Rebuilds the venue chain from the states that still hold something.
      let kept: SymbolState | undefined = undefined;
      for (let st: SymbolState | undefined = head; st !== undefined;) {
        const next: SymbolState | undefined = st.nextVenue;
        nextExpire = Math.min(nextExpire, this.#expireBuckets(st, wm));
        if (st.buckets.size === 0 && st.slots.every((slot) => slot.windows.length === 0)) {
          this.#series--;
          if (this.#lastState === st) this.#lastState = null;
        } else {
          st.nextVenue = kept;
          kept = st;
        }
        st = next;
      }
      if (kept === undefined) this.#symbols.delete(symbol);
      else if (kept !== head) this.#symbols.set(symbol, kept);
    }
    this.#nextExpire = nextExpire;
  }

  #expireBuckets(st: SymbolState, wm: number): number {
    let next = Infinity;
    for (const [start, b] of st.buckets) {
      if (start + this.#bucketLife > wm) next = Math.min(next, start + this.#bucketLife);
      else {
        st.buckets.delete(start);
        if (st.last === b) st.last = st.cell = null;
      }
    }
    return next;
  }

  #emitClosing(out: AggregatorOutput): void {
    const closing = this.#closing.sort(byEmissionOrder);
    for (const { w, slot, st } of closing) {
      w.version++;
      w.revise = false;
      out.candle(this.#candle(st, slot, w));
    }
    closing.length = 0;
  }
}

// Window end first (not start): the watermark passes ends in order, so whether it moves in one
// jump or many small steps (arrival order, batching, idle advances) the sequence is the same.
function byEmissionOrder(a: Closing, b: Closing): number {
  if (a.w.end !== b.w.end) return a.w.end - b.w.end;
  if (a.slot.order !== b.slot.order) return a.slot.order - b.slot.order;
  if (a.st.symbol !== b.st.symbol) return a.st.symbol < b.st.symbol ? -1 : 1;
  return a.st.venue < b.st.venue ? -1 : a.st.venue > b.st.venue ? 1 : 0;
}
