/**
 * A worker thread that is started on first use and started again when the one before has failed:
 * a dead worker fails every request, so whoever asks next gets a new one instead of failing for
 * good. Shared by the window worker, the forecast worker and SQLite's tick writer.
 * @module
 */

/** What a slot holds: something that can fail for good and be stopped. */
export interface SlotWorker {
  /** Every request fails from now on (the thread died or was stopped). */
  readonly failed: boolean;
  terminate(): void;
}

/** One worker of kind `W`, replaced when it has failed, until the slot is closed. */
export class WorkerSlot<W extends SlotWorker> {
  readonly #start: () => W;
  readonly #name: string;
  #worker: W | null = null;
  #closed = false;

  /** `start` makes a new worker; `name` labels the refusal after {@linkcode close}. */
  constructor(start: () => W, name: string) {
    this.#start = start;
    this.#name = name;
  }

  /** The running worker, a new one when there is none or it has failed. Throws once closed. */
  get(): W {
    if (this.#closed) throw new Error(`${this.#name} is closed: the pipeline has stopped`);
    if (this.#worker === null || this.#worker.failed) {
      this.#worker?.terminate();
      this.#worker = this.#start();
    }
    return this.#worker;
  }

  /** Starts no worker from now on; returns the last one (if any) for the caller to wind down. */
  close(): W | null {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = null;
    return worker;
  }

  /** Closes the slot and stops its worker at once. */
  terminate(): void {
    this.close()?.terminate();
  }
}
