/**
 * Reconnect and retry delays: exponential backoff with jitter and a cap, plus a sliding-window
 * budget of connection attempts for venues that ban clients reconnecting too often.
 * @module
 */

/** Options of {@linkcode Backoff}. */
export interface BackoffOptions {
  /** First delay, ms. Default 1000. */
  readonly initialMs: number;
  /** Largest delay, ms. Default 60000. */
  readonly maxMs: number;
  /** Growth per attempt. Default 2. */
  readonly factor: number;
  /**
   * Fraction of the delay that is randomised: the delay is `d × (1 − jitter × random())`, so 0
   * means none and 1 is "full jitter". Default 0.5.
   */
  readonly jitter: number;
}

/** Default {@linkcode BackoffOptions}. */
export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({
  initialMs: 1_000,
  maxMs: 60_000,
  factor: 2,
  jitter: 0.5,
});

/**
 * Exponential backoff with jitter and a cap.
 *
 * @example
 * ```ts
 * const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 });
 * b.next(); // 100
 * b.next(); // 200
 * b.reset();
 * ```
 */
export class Backoff {
  readonly #options: BackoffOptions;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: Partial<BackoffOptions> = {}, random: () => number = Math.random) {
    this.#options = { ...DEFAULT_BACKOFF, ...options };
    this.#random = random;
  }

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt, ms; each call grows the next one. */
  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.#options;
    const base = Math.min(maxMs, initialMs * factor ** this.#attempt);
    this.#attempt++;
    return Math.round(base * (1 - jitter * this.#random()));
  }

  /** Starts again from `initialMs` (after a connection proved stable). */
  reset(): void {
    this.#attempt = 0;
  }
}

/** Options of {@linkcode ConnectBudget}: at most `max` attempts within any `windowMs`. */
export interface ConnectBudgetOptions {
  readonly max: number;
  readonly windowMs: number;
}

/**
 * A sliding-window limit on connection attempts, kept in memory (at most `max` timestamps).
 *
 * @example
 * ```ts
 * const budget = new ConnectBudget({ max: 2, windowMs: 60_000 });
 * budget.record(0);
 * budget.record(1_000);
 * budget.waitMs(2_000); // 58000: the first attempt leaves the window at 60000
 * ```
 */
export class ConnectBudget {
  readonly #options: ConnectBudgetOptions;
  readonly #attempts: number[] = [];

  constructor(options: ConnectBudgetOptions) {
    this.#options = options;
  }

  /** Records an attempt made at `now` (epoch ms). */
  record(now: number): void {
    this.#attempts.push(now);
    if (this.#attempts.length > this.#options.max) this.#attempts.shift();
  }

  /** How long to wait from `now` before another attempt fits in the budget, ms. */
  waitMs(now: number): number {
    const { max, windowMs } = this.#options;
    if (this.#attempts.length < max) return 0;
    return Math.max(0, this.#attempts[0] + windowMs - now);
  }
}
