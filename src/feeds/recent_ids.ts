/**
 * Bounded memory of recent trade ids per symbol, to drop the duplicates venues replay after a
 * reconnect (Kraken's snapshot, Coinbase's `last_match`).
 * @module
 */

/**
 * Remembers the last `capacity` ids of each symbol (FIFO eviction).
 *
 * @example
 * ```ts
 * const ids = new RecentIds(2);
 * ids.add("BTC-USD", "1"); // true: new
 * ids.add("BTC-USD", "1"); // false: seen
 * ```
 */
export class RecentIds {
  readonly #capacity: number;
  readonly #bySymbol = new Map<string, { set: Set<string>; ring: string[]; next: number }>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Adds `id` for `symbol`; returns false when it was already among the recent ids. */
  add(symbol: string, id: string): boolean {
    if (this.#capacity <= 0) return true;
    let s = this.#bySymbol.get(symbol);
    if (!s) this.#bySymbol.set(symbol, s = { set: new Set(), ring: [], next: 0 });
    if (s.set.has(id)) return false;
    if (s.ring.length < this.#capacity) {
      s.ring.push(id);
    } else {
      s.set.delete(s.ring[s.next]);
      s.ring[s.next] = id;
      s.next = (s.next + 1) % this.#capacity;
    }
    s.set.add(id);
    return true;
  }
}
