/**
 * The actor system: spawns and names actors, is the root supervisor (an escalation that reaches it
 * terminates the system with `ok: false`), and shuts down in order within a deadline.
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { type Logger, silentLogger } from "../logger.ts";
import type { Registry } from "../telemetry/metrics.ts";
import { ActorCell, type CellHost } from "./actor_cell.ts";
import { actorStats } from "./actor_metrics.ts";
import type { ActorRef } from "./actor_ref.ts";
import { describe, type EscalationError, ShutdownTimeoutError, SpawnError } from "./errors.ts";
import type { Props } from "./props.ts";

/** A message an actor gave up on, or could not deliver because it stopped. */
export interface DeadLetterEnvelope {
  /** The actor's full name. */
  actor: string;
  message: unknown;
  /** The last error (an `ActorStoppedError` for messages left in a stopped mailbox). */
  error: unknown;
  /** Times handling was attempted (0 for messages never handled). */
  attempts: number;
}

/** Options of {@linkcode createActorSystem}. */
export interface ActorSystemOptions {
  /** Names the system in logs. Default "actors". */
  name?: string;
  /** Where the `pipeline_actor_*` metrics are published. None: counted, not published. */
  registry?: Registry;
  /** Default: silent. */
  logger?: Logger;
  /** Default: the system clock. Backoff and shutdown deadlines use it. */
  clock?: Clock;
  /** Receives dead letters. Default: logged as warnings. */
  deadLetters?: (letter: DeadLetterEnvelope) => void;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** How the system ended. */
export interface Termination {
  /** False after a root escalation or a shutdown that had to stop actors hard. */
  ok: boolean;
  error?: unknown;
}

/** A tree of supervised actors. */
export interface ActorSystem {
  readonly name: string;
  /** Spawns a top-level actor. Throws {@linkcode SpawnError} on a taken name or after shutdown. */
  spawn<M>(props: Props<M>): ActorRef<M>;
  /** Finds a live actor by full name (`parent/child` for children). */
  lookup<M>(name: string): ActorRef<M> | undefined;
  /**
   * Stops one actor. Graceful (default): children first, then it stops accepting, drains and runs
   * `stopping()`. Not graceful: a `stop` system message that overtakes its queue (queued messages go
   * to dead letters) but still runs `stopping()`. Resolves once it stopped — so an actor stopping
   * itself must not await it inside its own handler (it would wait for its own turn to end).
   */
  stop(ref: ActorRef<unknown>, options?: { graceful?: boolean }): Promise<void>;
  /**
   * Restarts one actor as if it had failed with `reason` under a `restart` directive (backoff and
   * restart limit included), ahead of its queued messages, which the new instance then handles.
   */
  restart(ref: ActorRef<unknown>, reason?: unknown): void;
  /**
   * Graceful: stops actors in REVERSE SPAWN ORDER (producers are spawned after their consumers, so
   * upstream stops first); each stops accepting, drains its mailbox, runs stopping(), then the next.
   * Children before parents. Bounded by `timeoutMs` (default 10 000); what doesn't finish in time is
   * stopped hard and reported (`terminated` then resolves `ok: false` with a ShutdownTimeoutError).
   */
  shutdown(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Resolves once the system has stopped: `{ ok: true }` after a clean shutdown, `{ ok: false, error }`
   * after an escalation reached the root or a shutdown timed out (the program then exits non-zero).
   */
  readonly terminated: Promise<Termination>;
}

/** The default shutdown deadline. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Creates an actor system.
 *
 * @example
 * ```ts
 * import { createActorSystem } from "./system.ts";
 * const system = createActorSystem();
 * const printer = system.spawn<string>({
 *   name: "printer",
 *   mailbox: { capacity: 1024 },
 *   factory: () => ({ receive(line) { void line; } }),
 * });
 * await printer.tell("hello");
 * await system.shutdown();
 * ```
 */
export function createActorSystem(options: ActorSystemOptions = {}): ActorSystem {
  return new LocalActorSystem(options);
}

class LocalActorSystem implements ActorSystem, CellHost {
  readonly name: string;
  readonly system: ActorSystem = this;
  readonly clock: Clock;
  readonly random: () => number;
  readonly terminated: Promise<Termination>;
  readonly #registry: Registry | undefined;
  readonly #log: Logger;
  readonly #deadLetters: (letter: DeadLetterEnvelope) => void;
  readonly #top: ActorCell<unknown>[] = [];
  readonly #byName = new Map<string, ActorCell<unknown>>();
  #resolveTerminated!: (t: Termination) => void;
  #shutdown: Promise<void> | undefined;
  #failure: EscalationError | undefined;

  constructor(options: ActorSystemOptions) {
    this.name = options.name ?? "actors";
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.#registry = options.registry;
    this.#log = (options.logger ?? silentLogger).child(this.name);
    this.#deadLetters = options.deadLetters ??
      ((l) =>
        this.#log.warn("dead letter", { actor: l.actor, attempts: l.attempts, error: l.error }));
    this.terminated = new Promise((resolve) => (this.#resolveTerminated = resolve));
  }

  spawn<M>(props: Props<M>): ActorRef<M> {
    return this.#spawn(props, undefined);
  }

  spawnChild<C>(props: Props<C>, parent: ActorCell<unknown>): ActorRef<C> {
    return this.#spawn(props, parent);
  }

  lookup<M>(name: string): ActorRef<M> | undefined {
    return this.#byName.get(name) as ActorRef<M> | undefined;
  }

  get shuttingDown(): boolean {
    return this.#shutdown !== undefined;
  }

  stop(ref: ActorRef<unknown>, options: { graceful?: boolean } = {}): Promise<void> {
    const cell = this.#byName.get(ref.name);
    if (cell === undefined || cell !== ref) return Promise.resolve();
    if (options.graceful === false) {
      cell.stopSoon();
      return cell.whenStopped;
    }
    return cell.stop();
  }

  restart(ref: ActorRef<unknown>, reason: unknown = new Error("restart requested")): void {
    const cell = this.#byName.get(ref.name);
    if (cell !== undefined && cell === ref) cell.restartSoon(reason);
  }

  shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#shutdown ??= this.#runShutdown(options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    return this.#shutdown;
  }

  deadLetter(actor: string, message: unknown, error: unknown, attempts: number): void {
    try {
      this.#deadLetters({ actor, message, error, attempts });
    } catch (handlerError) {
      this.#log.error("dead-letter handler threw", { actor, error: handlerError });
    }
  }

  escalateToRoot(error: EscalationError): void {
    this.#log.error("escalation reached the root; terminating", { error: describe(error) });
    this.#failure ??= error;
    void this.shutdown();
  }

  unregister(cell: ActorCell<unknown>): void {
    if (this.#byName.get(cell.name) === cell) this.#byName.delete(cell.name);
    const siblings = cell.parent ? cell.parent.children : this.#top;
    const i = siblings.indexOf(cell);
    if (i >= 0) siblings.splice(i, 1);
  }

  #spawn<M>(props: Props<M>, parent: ActorCell<unknown> | undefined): ActorRef<M> {
    if (this.#shutdown) {
      throw new SpawnError(`Cannot spawn "${props.name}": the system is shutting down`);
    }
    if (parent?.stopped) {
      throw new SpawnError(`Cannot spawn "${props.name}": its parent "${parent.name}" is stopped`);
    }
    if (!props.name || props.name.includes("/")) {
      throw new SpawnError(
        `Cannot spawn: name must be non-empty without "/", received "${props.name}"`,
      );
    }
    const name = parent ? `${parent.name}/${props.name}` : props.name;
    if (this.#byName.has(name)) {
      throw new SpawnError(`Cannot spawn "${name}": an actor with that name is running`);
    }
    const cell = new ActorCell<M>(name, props, {
      host: this,
      parent,
      stats: actorStats(this.#registry, name),
      log: this.#log.child(name),
    });
    this.#byName.set(name, cell as ActorCell<unknown>);
    (parent ? parent.children : this.#top).push(cell as ActorCell<unknown>);
    return cell;
  }

  async #runShutdown(timeoutMs: number): Promise<void> {
    let timedOut = false;
    let onTimeout!: () => void;
    const deadline = new Promise<void>((resolve) => (onTimeout = resolve));
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      onTimeout();
    }, timeoutMs);
    try {
      for (const cell of [...this.#top].reverse()) {
        await Promise.race([cell.stop(), deadline]);
        if (timedOut) break;
      }
    } finally {
      this.clock.clearTimeout(timer);
    }
    let timeoutError: ShutdownTimeoutError | undefined;
    if (timedOut) {
      const names = [...this.#byName.keys()];
      let discarded = 0;
      for (const cell of [...this.#top].reverse()) discarded += cell.kill();
      timeoutError = new ShutdownTimeoutError(names, discarded, timeoutMs);
      this.#log.error("shutdown timed out", { actors: names, discarded });
    }
    const error = this.#failure ?? timeoutError;
    this.#resolveTerminated(error === undefined ? { ok: true } : { ok: false, error });
  }
}
