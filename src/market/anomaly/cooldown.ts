/**
 * Alert de-duplication in event time.
 * @module
 */
import { evictOldest } from "../evict_oldest.ts";

/**
 * Remembers the last alert time per (symbol, rule) and lets another through only when it is at
 * least `ms` away, in event time, so a storm gives one alert and a replay gives the same ones.
 *
 * @example
 * ```ts
 * import { Cooldown } from "./cooldown.ts";
 * const c = new Cooldown(300_000);
 * c.allow("BTC-USD", "price_spike", 0); // true
 * c.allow("BTC-USD", "price_spike", 60_000); // false
 * ```
 */
export class Cooldown {
  readonly #ms: number;
  readonly #limit: number;
  readonly #last = new Map<string, number>();

  /** `limit`: (symbol, rule) pairs remembered; beyond it the oldest alert is forgotten. */
  constructor(ms: number, limit = Infinity) {
    this.#ms = ms;
    this.#limit = limit;
  }

  /** Whether an alert at `eventTimeMs` may be raised; if so it becomes the last one. */
  allow(symbol: string, rule: string, eventTimeMs: number): boolean {
    const key = `${symbol}\u0000${rule}`;
    const last = this.#last.get(key);
    // |Δt|, not Δt: a revision of an older window must not re-alert inside the cooldown either.
    if (last !== undefined && Math.abs(eventTimeMs - last) < this.#ms) return false;
    if (last === undefined && this.#last.size >= this.#limit) {
      evictOldest(this.#last, this.#limit - 1, (t) => t);
    }
    this.#last.set(key, last === undefined ? eventTimeMs : Math.max(last, eventTimeMs));
    return true;
  }
}
