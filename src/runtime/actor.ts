/**
 * The actor contract: private state, one message at a time, lifecycle hooks.
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { ActorRef } from "./actor_ref.ts";
import type { Props } from "./props.ts";
import type { ActorSystem } from "./system.ts";

/** What an actor sees of the world while it handles a message. */
export interface ActorContext<M> {
  /** Full name (`parent/child` for children). */
  readonly name: string;
  /** A reference to this actor, to hand to others or to tell itself. */
  readonly self: ActorRef<M>;
  readonly system: ActorSystem;
  /** A logger namespaced with the actor's name. */
  readonly log: Logger;
  /** The system's clock: use it for timeouts and timers, never for results. */
  readonly clock: Clock;
  /** Spawns a child, supervised by this actor: escalations come here; it stops before its parent. */
  spawn<C>(props: Props<C>): ActorRef<C>;
  /**
   * Sends `message` to this actor from outside its turn (a callback, a timer). A self-message is
   * never data: once the actor stops accepting, it is dropped, and a full mailbox is waited for
   * without anyone awaiting.
   */
  tellSelf(message: M): void;
  /**
   * Sends `message` to this actor after `ms` of the system's clock. The timer belongs to the
   * runtime: a stop or a restart cancels it, so no timer outlives the instance that set it.
   * Returns a function that cancels it.
   */
  scheduleSelf(message: M, ms: number): () => void;
}

/**
 * An actor. The runtime calls at most one of these methods at a time per actor, so the instance's
 * fields need no locking. A method that returns a promise holds the actor until it settles; a
 * synchronous one lets the runtime drain the next message at once.
 *
 * @example
 * ```ts
 * import type { Actor } from "./actor.ts";
 * class Counter implements Actor<number> {
 *   total = 0;
 *   receive(n: number) { this.total += n; }
 * }
 * ```
 */
export interface Actor<M> {
  /** Handles one message. Throwing (or rejecting) hands the error to the supervisor. */
  receive(message: M, ctx: ActorContext<M>): void | Promise<void>;
  /**
   * When present, used instead of `receive`: handles everything drained in one turn (up to the
   * mailbox's `batchSize`). The array is the actor's to keep. A failure fails the whole batch: it is
   * retried as a unit, and after `maxMessageFailures` attempts each of its messages goes to dead
   * letters. Make batch writes idempotent (a retry redelivers messages already applied).
   */
  receiveBatch?(messages: readonly M[], ctx: ActorContext<M>): void | Promise<void>;
  /** Runs before the first message. A failure here is supervised like a handler failure. */
  started?(ctx: ActorContext<M>): void | Promise<void>;
  /**
   * Flush and release here. Runs on a graceful stop after the mailbox is drained, and on the failed
   * instance on a restart, a `stop` directive or an escalation (there bounded to 5 s; errors are
   * logged). Not on a hard stop after the shutdown deadline.
   */
  stopping?(ctx: ActorContext<M>): void | Promise<void>;
  /** Runs on the new instance after a restart, instead of `started` (which runs when this is absent). */
  restarted?(error: unknown, ctx: ActorContext<M>): void | Promise<void>;
}
