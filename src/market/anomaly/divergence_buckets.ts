/**
 * The `source_divergence` rule's repeat suppression and restore horizon, in event time on a
 * fixed grid, so that a new Kafka owner replaying from the restore point reaches the same
 * decisions as an uninterrupted run (docs/analytics.md, "source_divergence after a takeover").
 * @module
 */

/**
 * At most one alert per symbol in each cooldown-long bucket of event time, the buckets aligned to
 * multiples of the cooldown since the epoch: unlike a cooldown counted from the last alert, whose
 * chain reaches back without bound, whether a bucket already alerted depends only on the ticks in
 * it. After {@linkcode DivergenceBuckets.restore} it also says which ticks a new owner records and
 * judges: those its replay is sure to hold everything before of.
 *
 * @example
 * ```ts
 * import { DivergenceBuckets } from "./divergence_buckets.ts";
 * const b = new DivergenceBuckets(300_000, 10_000);
 * b.allow("BTC-USD", 0, 10_000); // true
 * b.allow("BTC-USD", 0, 290_000); // false: the same bucket [0, 300 000)
 * b.allow("BTC-USD", 0, 300_000); // true: the next one
 * ```
 */
export class DivergenceBuckets {
  readonly #ms: number;
  readonly #windowMs: number;
  /** Symbol → the buckets that alerted and may still see a judged tick. */
  readonly #alerted = new Map<string, number[]>();
  #judgeFrom = -Infinity;

  /** `cooldownMs`: the bucket length; `windowMs`: how far apart two compared prices may be. */
  constructor(cooldownMs: number, windowMs: number) {
    if (!(cooldownMs > 0)) {
      throw new RangeError(
        `Cannot create DivergenceBuckets: cooldown must be > 0, received ${cooldownMs}`,
      );
    }
    this.#ms = cooldownMs;
    this.#windowMs = windowMs;
  }

  /**
   * How far back in event time a decision reaches: the bucket, and the prices compared at its
   * start. A Kafka restore replay must reach at least this far (src/pipeline/kafka/commit_tracker.ts).
   */
  get lookbackMs(): number {
    return this.#ms + this.#windowMs;
  }

  /**
   * A new owner's start. `reached` is the watermark the previous owner had reached at its
   * processed position: every tick judged after that position lies at or after it. From the start
   * of its bucket the replay holds every tick a decision needs (the replay reaches back at least
   * {@linkcode lookbackMs} before it), so ticks from there are judged, prices from one comparison
   * window earlier are recorded, and nothing older is looked at. What the previous owner judged
   * before is stored already.
   */
  restore(reached: number): void {
    if (Number.isFinite(reached)) this.#judgeFrom = Math.floor(reached / this.#ms) * this.#ms;
  }

  /** Whether a tick at `ts` updates the latest prices (false only for a restored owner's past). */
  records(ts: number): boolean {
    return ts >= this.#judgeFrom - this.#windowMs;
  }

  /**
   * Whether a tick at `ts` is judged: not behind the partition's watermark (a late tick is not a
   * current price) and not before a restored owner's horizon.
   */
  judges(ts: number, watermark: number): boolean {
    return ts >= watermark && ts >= this.#judgeFrom;
  }

  /** Whether a divergence at `ts` may alert (none yet in its bucket); if so the bucket is taken. */
  allow(symbol: string, watermark: number, ts: number): boolean {
    const bucket = Math.floor(ts / this.#ms);
    let taken = this.#alerted.get(symbol);
    if (taken === undefined) this.#alerted.set(symbol, taken = []);
    if (taken.includes(bucket)) return false;
    // Buckets that end at or before the watermark see no judged tick again.
    const live = taken.filter((b) => (b + 1) * this.#ms > watermark);
    live.push(bucket);
    this.#alerted.set(symbol, live);
    return true;
  }

  /** Forgets a symbol (evicted by the detector's symbol limit). */
  forget(symbol: string): void {
    this.#alerted.delete(symbol);
  }
}
