/**
 * Per-symbol state that lives as long as the longest window around it: the ids already counted
 * (duplicate detection) and the statistics of each cell of time.
 * @module
 */
import { SeenIds } from "./seen_ids.ts";
import { TradeStats } from "./trade_stats.ts";

/**
 * One symbol's state for one span of the longest interval: seen ids per source, and the ticks'
 * statistics per cell (a span of the greatest common divisor of the intervals, so every window
 * is a whole number of cells). Dropped whole once no window overlapping it can change any more.
 */
export class TickBucket {
  readonly start: number;
  readonly #sources = new Map<string, SeenIds>();
  readonly #cells = new Map<number, TradeStats>();
  #lastSource = "";
  #lastSeen: SeenIds | null = null;
  #lastCell: TradeStats | null = null;
  #lastCellStart = NaN;

  constructor(start: number) {
    this.start = start;
  }

  /** Records (source, id); false when already seen. `num` is the id's `integerId()`. */
  firstSeen(source: string, id: string, num: number): boolean {
    if (this.#lastSeen === null || source !== this.#lastSource) {
      let seen = this.#sources.get(source);
      if (seen === undefined) this.#sources.set(source, seen = new SeenIds());
      this.#lastSource = source;
      this.#lastSeen = seen;
    }
    return this.#lastSeen.add(id, num);
  }

  /** The cell starting at `start`, created when missing. */
  cell(start: number): TradeStats {
    if (start === this.#lastCellStart) return this.#lastCell!;
    let cell = this.#cells.get(start);
    if (cell === undefined) this.#cells.set(start, cell = new TradeStats());
    this.#lastCellStart = start;
    this.#lastCell = cell;
    return cell;
  }

  /** The cell starting at `start`, if any tick went there. */
  findCell(start: number): TradeStats | undefined {
    return this.#cells.get(start);
  }

  /** Seen-id entries held (ranges, integer ids held apart, string ids). */
  get seenSize(): number {
    let n = 0;
    for (const s of this.#sources.values()) n += s.size;
    return n;
  }
}
