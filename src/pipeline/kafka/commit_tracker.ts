/**
 * Which Kafka offset a partition may commit, so that a new owner replaying from it rebuilds the
 * exact state the old owner had: every window that can still change (open, or revisable by late
 * data) must lie entirely at or after the committed offset, and the watermark reached before it
 * is stored with the commit (as metadata) and restored first.
 *
 * A tick with event time `ts` can only touch windows that end by `ts + longest interval`; those
 * stop accepting late data once the watermark passes their end by the late-update window. So a
 * record is finished when `ts < watermark − lateUpdate − longest`. Batches are tracked, not
 * records: the commit point is the first offset of the oldest batch holding an unfinished record.
 * The cost of replay-based restore: a new owner re-reads about one longest interval plus the
 * late-update window of data.
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
  /** Max event time before the starting offset (restored from the commit's metadata). */
  readonly maxTsBefore?: number;
}

/** A commit: the next offset to read and the max event time of everything before it. */
export interface CommitPoint {
  readonly offset: number;
  readonly maxTsBefore: number;
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

  constructor(options: CommitTrackerOptions) {
    this.#horizon = options.lateUpdateWindowMs + options.longestIntervalMs;
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

  /** The offset that is safe to commit now (null before any batch). */
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
    const offset = this.#head < spans.length ? spans[this.#head].first : this.#next;
    return { offset, maxTsBefore: this.#maxTsBefore };
  }

  /** After a flush (end of input) nothing is open: everything delivered is finished. */
  finishAll(): CommitPoint | null {
    if (this.#next < 0) return null;
    for (let i = this.#head; i < this.#spans.length; i++) {
      if (this.#spans[i].maxTs > this.#maxTsBefore) this.#maxTsBefore = this.#spans[i].maxTs;
    }
    this.#spans.length = 0;
    this.#head = 0;
    return { offset: this.#next, maxTsBefore: this.#maxTsBefore };
  }
}
