/**
 * The handle through which an actor is sent messages. It is all another component ever holds of an
 * actor: no shared state, only messages.
 * @module
 */

/** A send-only handle to an actor. */
export interface ActorRef<M> {
  /** The actor's name (children: `parent/child`), also its `actor` metric label. */
  readonly name: string;
  /**
   * Enqueues. Returns undefined when accepted synchronously (fast path: no promise allocated); returns
   * a promise only when the mailbox is full under `block` — the caller must await it (that is the
   * backpressure). Under a drop policy it never waits: a full mailbox drops and counts. Throws
   * `ActorStoppedError` once the actor is stopping or stopped.
   */
  tell(message: M): void | Promise<void>;
  /** Enqueues messages in order, with the same contract as `tell`. */
  tellBatch(messages: readonly M[]): void | Promise<void>;
  /** Messages in the mailbox. */
  readonly size: number;
  /** The mailbox bound. */
  readonly capacity: number;
}
