/**
 * One log line when a burst of the same trouble starts and one when it has been quiet for a while,
 * however many times it happens in between: a flood of refused connections must not become a
 * flood of log lines.
 * @module
 */
import type { LogFields, Logger } from "../logger.ts";

/** A burst of one kind of event, logged at its start and after its end. */
export class BurstLog {
  readonly #log: Logger | undefined;
  readonly #start: string;
  readonly #end: string;
  readonly #quietMs: number;
  readonly #now: () => number;
  #count = 0;
  #last = -Infinity;

  /**
   * `start` is logged (warn) at the first event of a burst; `end` (info, with the burst's count)
   * by the first {@linkcode BurstLog.quiet} call `quietMs` or more after the last event.
   */
  constructor(
    log: Logger | undefined,
    o: { start: string; end: string; quietMs: number; now?: () => number },
  ) {
    this.#log = log;
    this.#start = o.start;
    this.#end = o.end;
    this.#quietMs = o.quietMs;
    this.#now = o.now ?? (() => performance.now());
  }

  /** Records one event. */
  hit(fields?: LogFields): void {
    if (this.#count++ === 0) this.#log?.warn(this.#start, fields);
    this.#last = this.#now();
  }

  /** Records that things are normal now; ends the burst once it has been quiet long enough. */
  quiet(): void {
    if (this.#count === 0 || this.#now() - this.#last < this.#quietMs) return;
    this.#log?.info(this.#end, { count: this.#count });
    this.#count = 0;
  }
}
