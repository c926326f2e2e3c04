/**
 * Named errors of the runtime, on the pipeline's one error base (src/errors.ts). Every error
 * carries `retriable` and `cause`, so supervisors (and `defaultDecider`) decide from data
 * instead of from message text.
 * @module
 */

import { PipelineError, type PipelineErrorOptions } from "../errors.ts";

export { isRetriable, PipelineError, type PipelineErrorOptions, retriableOf } from "../errors.ts";

/** Thrown by sends to a mailbox that no longer accepts messages. */
export class MailboxClosedError extends PipelineError {
  constructor(
    message = "Cannot enqueue: the mailbox is closed",
    options: PipelineErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** Thrown by `tell` after the actor stopped (or began a graceful stop), and given to senders still blocked when it stops. */
export class ActorStoppedError extends MailboxClosedError {
  /** The actor's name. */
  readonly actor: string;

  constructor(actor: string, options: PipelineErrorOptions = {}) {
    super(`Cannot send to actor "${actor}": it is stopped`, options);
    this.actor = actor;
  }
}

/** A failure an actor could not handle itself, passed to its parent; `cause` is the original error. */
export class EscalationError extends PipelineError {
  /** The actor that escalated. */
  readonly actor: string;

  constructor(actor: string, cause: unknown, reason = "escalated") {
    super(`Actor "${actor}" ${reason}: ${describe(cause)}`, { cause, retriable: false });
    this.actor = actor;
  }
}

/** Shutdown did not finish in time; the listed actors were stopped hard. */
export class ShutdownTimeoutError extends PipelineError {
  /** Actors stopped hard. */
  readonly actors: readonly string[];
  /** Messages discarded from their mailboxes. */
  readonly discarded: number;

  constructor(actors: readonly string[], discarded: number, timeoutMs: number) {
    super(
      `Shutdown did not finish within ${timeoutMs} ms: stopped ${actors.join(", ")} hard, ` +
        `discarding ${discarded} message(s)`,
    );
    this.actors = actors;
    this.discarded = discarded;
  }
}

/** Spawning under a name that is already taken, or on a stopped system. */
export class SpawnError extends PipelineError {}

/** Returns a short description of any thrown value, for messages and logs. */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
