// The candles a symbol chart draws: closed candles by window start (the highest version wins, so
// a late revision replaces its bar), the in-progress candle after them, and older pages loaded on
// demand. Pure: tested in tests/web/candle_book_test.ts.

/**
 * @typedef {{ window_start: number, open: number, high: number, low: number, close: number,
 *   volume: number, version: number }} CandleLike
 */

export class CandleBook {
  /** @type {Map<number, CandleLike>} */
  #closed = new Map();
  /** @type {CandleLike|null} */
  #partial = null;
  /** @type {CandleLike[]|null} */
  #sorted = null;

  /**
   * Adds closed candles (a page from the read API, or live ones). Returns how the drawing must
   * change: "none", "tail" (only the newest bar changed or one was appended) or "all".
   * @param {readonly CandleLike[]} candles
   * @returns {"none"|"tail"|"all"}
   */
  addClosed(candles) {
    let changed = 0;
    let onlyTail = true;
    for (const c of candles) {
      const have = this.#closed.get(c.window_start);
      if (have && have.version >= c.version) continue;
      const newest = this.newestClosed();
      if (newest !== null && c.window_start < newest) onlyTail = false;
      this.#closed.set(c.window_start, c);
      this.#sorted = null;
      changed++;
      if (this.#partial && this.#partial.window_start <= c.window_start) {
        // Its window closed (or a later one did): the real candle replaces the preview, and a
        // preview of an older window than the candle must be taken off the drawing.
        if (this.#partial.window_start < c.window_start) onlyTail = false;
        this.#partial = null;
      }
    }
    if (changed === 0) return "none";
    return changed === 1 && onlyTail ? "tail" : "all";
  }

  /**
   * Sets the in-progress candle, unless its window already closed here.
   * @param {CandleLike} p
   * @returns {boolean} whether it is drawn
   */
  setPartial(p) {
    const newest = this.newestClosed();
    if (newest !== null && p.window_start <= newest) return false;
    if (this.#partial && p.window_start < this.#partial.window_start) return false;
    this.#partial = p;
    return true;
  }

  /** @returns {number|null} the newest closed window start */
  newestClosed() {
    const s = this.closed();
    return s.length ? s[s.length - 1].window_start : null;
  }

  /** @returns {number|null} the oldest closed window start */
  oldestClosed() {
    const s = this.closed();
    return s.length ? s[0].window_start : null;
  }

  /** @returns {CandleLike[]} closed candles, oldest first */
  closed() {
    this.#sorted ??= [...this.#closed.values()].sort((a, b) => a.window_start - b.window_start);
    return this.#sorted;
  }

  /** @returns {CandleLike|null} */
  partial() {
    return this.#partial;
  }

  /** @returns {CandleLike[]} everything drawn: closed candles, then the in-progress one */
  bars() {
    return this.#partial ? [...this.closed(), this.#partial] : this.closed();
  }
}

/**
 * An interval name's length in ms (`30s`, `1m`, `5m`, `1h`, `1d`), or NaN.
 * @param {string} name
 * @returns {number}
 */
export function intervalMs(name) {
  const m = /^([1-9][0-9]{0,5})(s|m|h|d)$/.exec(name);
  if (!m) return NaN;
  return Number(m[1]) *
    { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[/** @type {"s"|"m"|"h"|"d"} */ (m[2])];
}
