/**
 * Alert de-duplication in event time.
 * @module
 */

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
  readonly #last = new Map<string, number>();

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Whether an alert at `eventTimeMs` may be raised; if so it becomes the last one. */
  allow(symbol: string, rule: string, eventTimeMs: number): boolean {
    const key = `${symbol}\u0000${rule}`;
    const last = this.#last.get(key);
    // |Δt|, not Δt: a revision of an older window must not re-alert inside the cooldown either.
    if (last !== undefined && Math.abs(eventTimeMs - last) < this.#ms) return false;
    this.#last.set(key, last === undefined ? eventTimeMs : Math.max(last, eventTimeMs));
    return true;
  }
}
