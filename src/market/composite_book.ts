/**
 * Keeps each revisable window's latest venue candles and turns them into composite candles,
 * versioned like candles. Pure: time moves only through the watermark it is given.
 * @module
 */
import type { Candle } from "./candle.ts";
import { compositeCandle, type CompositeOptions } from "./composite_candle.ts";
import type { Interval } from "./interval.ts";

interface Entry {
  readonly end: number;
  readonly order: number;
  readonly symbol: string;
  /** Venue → its latest candle of the window. */
  readonly venues: Map<string, Candle>;
  version: number;
  dirty: boolean;
}

/**
 * The composite side of one partition. Venue candles go in with {@linkcode add}; {@linkcode take}
 * then returns one composite per window they changed, version 1 the first time and + 1 for each
 * later change (a venue's revision, or a venue's first candle of a window after late data).
 *
 * The caller calls `take()` after each step of the aggregator (one tick, one watermark move, one
 * flush): the aggregator emits the same candles in the same steps whatever the batching, so the
 * composites and their versions are the same too. A window is forgotten once the watermark has
 * passed its end by `lateUpdateWindowMs`, when no venue candle of it can change any more.
 */
export class CompositeBook {
  readonly #options: CompositeOptions;
  readonly #intervals: Map<string, { ms: number; order: number }>;
  readonly #lateUpdate: number;
  readonly #entries = new Map<string, Entry>();
  #dirty: Entry[] = [];
  #nextExpire = Infinity;

  constructor(
    intervals: readonly Interval[],
    lateUpdateWindowMs: number,
    options: CompositeOptions,
  ) {
    const byLength = [...intervals].sort((a, b) => a.ms - b.ms);
    this.#intervals = new Map(byLength.map((i, order) => [i.name, { ms: i.ms, order }]));
    this.#lateUpdate = Math.max(0, lateUpdateWindowMs);
    this.#options = options;
  }

  /** Windows held. */
  get size(): number {
    return this.#entries.size;
  }

  /** A venue candle (version 1 or a revision); ignored when its venue does not feed the composite. */
  add(c: Candle): void {
    const venues = this.#options.venues;
    if (venues?.length && !venues.includes(c.venue)) return;
    const interval = this.#intervals.get(c.interval);
    if (interval === undefined) return;
    const key = `${c.symbol}\u0000${c.interval}\u0000${c.window_start}`;
    let e = this.#entries.get(key);
    if (e === undefined) {
      const end = c.window_start + interval.ms;
      e = {
        end,
        order: interval.order,
        symbol: c.symbol,
        venues: new Map(),
        version: 0,
        dirty: false,
      };
      this.#entries.set(key, e);
      this.#nextExpire = Math.min(this.#nextExpire, end + this.#lateUpdate);
    }
    e.venues.set(c.venue, c);
    if (!e.dirty) {
      e.dirty = true;
      this.#dirty.push(e);
    }
  }

  /**
   * The composites of the windows changed since the last call, ordered by window end, interval
   * length, symbol (as the aggregator orders candles); then forgets the windows the watermark has
   * put out of reach of late data.
   */
  take(watermark: number): readonly Candle[] {
    // Most steps (one tick inside open windows) change no window: nothing to allocate.
    if (this.#dirty.length === 0 && watermark < this.#nextExpire) return NONE;
    const out: Candle[] = [];
    if (this.#dirty.length > 0) {
      const dirty = this.#dirty.sort(byEmissionOrder);
      this.#dirty = [];
      for (const e of dirty) {
        e.dirty = false;
        const c = compositeCandle([...e.venues.values()], e.end, e.version + 1, this.#options);
        if (c === null) continue;
        e.version++;
        out.push(c);
      }
    }
    if (watermark >= this.#nextExpire) this.#expire(watermark);
    return out;
  }

  #expire(watermark: number): void {
    let next = Infinity;
    for (const [key, e] of this.#entries) {
      const limit = e.end + this.#lateUpdate;
      if (limit <= watermark) this.#entries.delete(key);
      else next = Math.min(next, limit);
    }
    this.#nextExpire = next;
  }
}

const NONE: readonly Candle[] = Object.freeze([]);

function byEmissionOrder(a: Entry, b: Entry): number {
  if (a.end !== b.end) return a.end - b.end;
  if (a.order !== b.order) return a.order - b.order;
  return a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0;
}
