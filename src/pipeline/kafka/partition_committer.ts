/**
 * When and what one owned partition commits. The commit point comes from the
 * {@linkcode CommitTracker}; this object decides when to commit it, off the fetch loop:
 *
 * - at most once per commit interval, and always eventually — progress made while a commit runs,
 *   or before the interval is up, is committed after it, so a partition that goes quiet still
 *   commits its last batches;
 * - one commit at a time: each runs a `sync` barrier through the partition's stages (everything
 *   handed on before the point is durable), then commits;
 * - a commit the broker refused or that failed is tried again after the interval, even if no more
 *   records come;
 * - end of input: a `flush` barrier (every open window is emitted and stored), then a commit; the
 *   partition's next batch waits for that (see {@linkcode PartitionCommitter.ending}). The restore
 *   point stays where the tracker puts it: the windows the marker emitted early can still be
 *   revised by later ticks, so a new owner must replay the marker too (see docs/kafka.md);
 * - revocation: no new commit starts; one in progress lands first, while this member still owns
 *   the partition.
 * @module
 */
import type { BarrierKind } from "../../../actors/barrier.ts";
import type { Clock } from "../../clock.ts";
import type { Logger } from "../../logger.ts";
import type { CommitPoint, CommitTracker } from "./commit_tracker.ts";

/** What a committer is built with. */
export interface PartitionCommitterDeps {
  readonly tracker: CommitTracker;
  readonly intervalMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** A barrier through the partition's stages to the stores. */
  readonly barrier: (kind: BarrierKind) => Promise<void>;
  /** Commits `point`; false when nothing was committed (the group re-forming, a refusal). */
  readonly commit: (point: CommitPoint) => Promise<boolean>;
}

/** One owned partition's commits. */
export class PartitionCommitter {
  readonly #d: PartitionCommitterDeps;
  #lastCommit: number;
  /** The commit in progress (barrier, then commit); commits run one at a time. */
  #committing: Promise<void> | null = null;
  #ending: Promise<void> | null = null;
  /** Progress was made while a commit ran: commit again after it. */
  #dirty = false;
  /** The point committed (or being committed), as `processed/restore`; "" forces the next commit. */
  #committedKey = "";
  #cancelTimer: (() => void) | null = null;
  #revoked = false;

  constructor(deps: PartitionCommitterDeps) {
    this.#d = deps;
    this.#lastCommit = deps.clock.monotonic();
  }

  /** Set while an end-of-input commit runs: the partition's next batch waits for it. */
  get ending(): Promise<void> | null {
    return this.#ending;
  }

  /** A batch of offsets `[first, next)` was handed on; `maxTs` is its largest event time. */
  processed(first: number, next: number, maxTs: number): void {
    this.#d.tracker.add(first, next, maxTs);
    this.#commitSoon();
  }

  /**
   * End of input: flush the windows, then commit everything delivered. Resolves once that is
   * done; a commit refused or failed is logged and tried again after the interval.
   */
  end(): Promise<void> {
    let done = false;
    const ending = this.#inBackground(async () => {
      await this.#d.barrier("flush");
      const point = this.#d.tracker.commitPoint();
      if (point === null) done = true;
      else if (await this.#d.commit(point)) {
        this.#committedKey = keyOf(point);
        done = true;
      }
    }).then(() => {
      this.#ending = null;
      // Refused (the group re-forming after a member died) or failed: tried again like any
      // commit. No record may ever come after a marker to prompt it, and a partition whose end
      // is never committed would look behind for good.
      if (!done) {
        this.#committedKey = "";
        this.#commitSoon();
      }
    });
    this.#ending = ending;
    return ending;
  }

  /** Revocation: nothing new starts; resolves once a commit in progress landed. */
  async revoke(): Promise<void> {
    this.#revoked = true;
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    await this.#committing;
  }

  #commitSoon(): void {
    if (this.#revoked || this.#ending) return;
    const { clock, intervalMs } = this.#d;
    const wait = this.#lastCommit + intervalMs - clock.monotonic();
    if (wait > 0) {
      if (this.#cancelTimer === null) {
        const handle = clock.setTimeout(() => {
          this.#cancelTimer = null;
          this.#commitSoon();
        }, wait);
        this.#cancelTimer = () => clock.clearTimeout(handle);
      }
      return;
    }
    if (this.#committing) {
      this.#dirty = true;
      return;
    }
    // The point covers batches already handed on; the barrier waits until the stores have them.
    const point = this.#d.tracker.commitPoint();
    if (point === null || keyOf(point) === this.#committedKey) return;
    this.#lastCommit = clock.monotonic();
    this.#committedKey = keyOf(point);
    // Not committed: the same point is tried again after the interval.
    const again = () => {
      this.#committedKey = "";
      this.#dirty = true;
    };
    void this.#inBackground(async () => {
      try {
        await this.#d.barrier("sync");
        if (!await this.#d.commit(point)) again();
      } catch (error) {
        again();
        throw error;
      }
    }).then(() => {
      if (!this.#dirty) return;
      this.#dirty = false;
      this.#commitSoon();
    });
  }

  /** Runs `work` after the previous commit; a failure is logged. */
  #inBackground(work: () => Promise<void>): Promise<void> {
    const run: Promise<void> = (this.#committing ?? Promise.resolve()).then(work).catch(
      (error) => this.#d.log.error("offset commit failed", { error }),
    ).finally(() => {
      if (this.#committing === run) this.#committing = null;
    });
    this.#committing = run;
    return run;
  }
}

const keyOf = (point: CommitPoint) => `${point.processed}/${point.restore}`;
