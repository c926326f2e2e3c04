/**
 * The contract between a feed (simulator, replay, exchange or CoinCap client) and the pipeline.
 * @module
 */
import type { DeadLetter } from "../market/dead_letter.ts";
import type { Tick } from "../market/tick.ts";

/**
 * Where a source delivers. A returned promise means "wait before producing more": that is how
 * backpressure from the bus reaches the feed.
 */
export interface TickOutput {
  tick(tick: Tick): void | Promise<void>;
  deadLetter(letter: DeadLetter): void | Promise<void>;
}

/** A feed of ticks. */
export interface Source {
  readonly name: string;
  /**
   * Produces ticks until the input ends (finite sources resolve) or `signal` aborts (resolves
   * after closing connections). Transient failures are retried inside; a returned rejection is a
   * fatal error for the supervisor.
   */
  run(output: TickOutput, signal: AbortSignal): Promise<void>;
}
