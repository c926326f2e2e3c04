/**
 * What one partition commits. Two positions, because Kafka's tools read one and a new owner needs
 * the other:
 *
 * - the **processed position** (the committed offset): everything before it was handed on and,
 *   once the commit's barrier passed, stored. Standard tools (`kafka-consumer-groups`, Kafka UI,
 *   Burrow, KEDA) compute lag from it, so it tells them the truth: a caught-up group has no lag.
 * - the **restore point** (in the commit's metadata, with the watermark reached before it): where a
 *   new owner starts reading so that it rebuilds every window that can still change (open, or
 *   revisable by late data) — every such window lies entirely at or after it. The new owner seeks
 *   there and replays up to the processed position, re-emitting idempotently, then goes on.
 *
 * A tick with event time `ts` can only touch windows that end by `ts + longest interval`; those
 * stop accepting late data once the watermark passes their end by the late-update window. So a
 * record is finished when `ts < watermark − lateUpdate − longest`. Batches are tracked, not
 * records: the restore point is the first offset of the oldest batch holding an unfinished record.
 * The tick rule `source_divergence` decides from event time up to `ruleLookbackMs` (its bucket and
 * comparison window) before a tick, so the horizon is at least that: a new owner's replay then holds
 * everything those decisions need (src/market/anomaly/divergence_buckets.ts).
 * The cost of replay-based restore: a new owner re-reads about one longest interval plus the
 * late-update window of data (the restore depth, exported as a metric).
 * @module
 */

interface BatchSpan {
  readonly first: number;
  readonly next: number;
  readonly maxTs: number;
}

/** Options of {@linkcode CommitTracker}. */
export interface CommitTrackerOptions {
  readonly allowedLatenessMs: number;
  readonly lateUpdateWindowMs: number;
  readonly longestIntervalMs: number;
  /** How far back in event time a tick rule's decision reaches; the horizon is at least that. */
  readonly ruleLookbackMs?: number;
  /** Max event time before the starting offset (restored from the commit's metadata). */
  readonly maxTsBefore?: number;
  /**
   * The offset the previous owner committed. While a new owner replays from the restore point up
   * to it, that is still the processed position (those records are stored): committing less would
   * show tools a lag that is not there.
   */
  readonly committed?: number;
}

/** A commit: the processed position, and where a new owner restores from. */
export interface CommitPoint {
  /** The next offset to read: everything before it is processed. The committed offset. */
  readonly processed: number;
  /** Where a new owner starts reading to rebuild the windows; ≤ `processed`. */
  readonly restore: number;
  /** Max event time of the records before `restore` (the new owner's watermark comes from it). */
  readonly maxTsBefore: number;
  /** Max event time of the records before `processed`. */
  readonly maxTs: number;
}

/** Tracks one partition's delivered batches. */
export class CommitTracker {
  readonly #horizon: number;
  readonly #lateness: number;
  readonly #spans: BatchSpan[] = [];
  #head = 0;
  #maxTsBefore: number;
  #maxTs: number;
  #next = -1;
  readonly #committed: number;

  constructor(options: CommitTrackerOptions) {
    this.#committed = options.committed ?? -1;
    this.#horizon = Math.max(
      options.lateUpdateWindowMs + options.longestIntervalMs,
      options.ruleLookbackMs ?? 0,
    );
    this.#lateness = options.allowedLatenessMs;
    this.#maxTsBefore = options.maxTsBefore ?? -Infinity;
    this.#maxTs = this.#maxTsBefore;
  }

  /** A delivered batch: offsets `[first, next)`, the largest event time among its valid ticks. */
  add(first: number, next: number, maxTs: number): void {
    this.#spans.push({ first, next, maxTs });
    if (maxTs > this.#maxTs) this.#maxTs = maxTs;
    this.#next = next;
  }

  /** What may be committed now (null before any batch). */
  commitPoint(): CommitPoint | null {
    if (this.#next < 0) return null;
    const finishedBelow = this.#maxTs - this.#lateness - this.#horizon;
    const spans = this.#spans;
    while (this.#head < spans.length && spans[this.#head].maxTs < finishedBelow) {
      const span = spans[this.#head++];
      if (span.maxTs > this.#maxTsBefore) this.#maxTsBefore = span.maxTs;
    }
    if (this.#head > 1024 && this.#head * 2 > spans.length) {
      spans.splice(0, this.#head);
      this.#head = 0;
    }
    const restore = this.#head < spans.length ? spans[this.#head].first : this.#next;
    return {
      processed: Math.max(this.#next, this.#committed),
      restore,
      maxTsBefore: this.#maxTsBefore,
      maxTs: this.#maxTs,
    };
  }
}
