/**
 * Runs ready actors. A turn is queued as a microtask (cheapest hand-off between actors), but after
 * a budget of consecutive microtask turns the next ones go through a macrotask, so timers, I/O and
 * metric scrapes still run while a pipeline is saturated.
 * @module
 */

/** Something the scheduler can run: an actor's turn. */
export interface Runnable {
  /** Runs one turn. Must not throw. */
  readonly runTurn: () => void;
}

// Captured at load so that fake timers installed by a test never freeze message delivery: the
// scheduler is not a notion of time.
const queueMicrotaskNative = globalThis.queueMicrotask.bind(globalThis);
const setImmediateNative: (fn: () => void) => unknown =
  (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate?.bind(globalThis) ??
    ((fn) => setTimeout(fn, 0));

/** Microtask turns between two macrotask yields. */
const MICROTASK_BUDGET = 1024;

/** A run queue shared by every actor system of the process. */
export class Scheduler {
  #budget = MICROTASK_BUDGET;
  #deferred: Runnable[] = [];
  #flushQueued = false;

  /** Queues one turn of `actor`. */
  schedule(actor: Runnable): void {
    if (this.#budget > 0) {
      this.#budget--;
      queueMicrotaskNative(actor.runTurn);
      return;
    }
    this.#deferred.push(actor);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      setImmediateNative(this.#flush);
    }
  }

  #flush = (): void => {
    this.#flushQueued = false;
    this.#budget = MICROTASK_BUDGET;
    const ready = this.#deferred;
    this.#deferred = [];
    for (const actor of ready) queueMicrotaskNative(actor.runTurn);
  };
}

/** The process-wide scheduler. */
export const scheduler: Scheduler = new Scheduler();
