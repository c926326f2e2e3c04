/**
 * The running side of one actor: its mailbox, its current instance, its turn loop and the
 * supervision that applies when a handler fails. A cell is also the actor's {@linkcode ActorRef}
 * (one object less on the send path); other components only ever see that interface.
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { Actor, ActorContext } from "./actor.ts";
import type { ActorStats } from "./actor_metrics.ts";
import type { ActorRef } from "./actor_ref.ts";
import { ActorStoppedError, describe, EscalationError } from "./errors.ts";
import { Mailbox } from "./mailbox.ts";
import type { Props } from "./props.ts";
import { type Runnable, scheduler } from "./scheduler.ts";
import { Supervisor } from "./supervisor.ts";
import type { ActorSystem } from "./system.ts";

/** What a cell needs from its system. */
export interface CellHost {
  readonly system: ActorSystem;
  readonly clock: Clock;
  readonly random: () => number;
  /** True once the system's shutdown began: nothing restarts from then on. */
  readonly shuttingDown: boolean;
  spawnChild<C>(props: Props<C>, parent: ActorCell<unknown>): ActorRef<C>;
  deadLetter(actor: string, message: unknown, error: unknown, attempts: number): void;
  escalateToRoot(error: EscalationError): void;
  unregister(cell: ActorCell<unknown>): void;
}

type SystemMessage =
  | { kind: "start" }
  | { kind: "stop" }
  | { kind: "restart"; reason: unknown }
  | { kind: "failed"; error: unknown };
type Phase = "running" | "finishing" | "stopped";
type Pending = Promise<void> | undefined;

/** How long `stopping()` may take on a restart, a `stop` directive or an escalation. */
export const STOPPING_TIMEOUT_MS = 5000;

function isThenable(value: unknown): value is PromiseLike<void> {
  return typeof (value as PromiseLike<void> | undefined)?.then === "function";
}

/** One actor's mailbox, instance and supervision. Internal: hand out only its `ActorRef` side. */
export class ActorCell<M> implements ActorRef<M>, Runnable {
  readonly name: string;
  readonly parent: ActorCell<unknown> | undefined;
  /** Live children, in spawn order. */
  readonly children: ActorCell<unknown>[] = [];
  readonly runTurn: () => void = () => this.#turn();
  readonly #props: Props<M>;
  readonly #host: CellHost;
  readonly #mailbox: Mailbox<M>;
  readonly #stats: ActorStats;
  readonly #supervisor: Supervisor;
  readonly #log: Logger;
  readonly #ctx: ActorContext<M>;
  readonly #abort = new AbortController();
  readonly #stopped: Promise<void>;
  #resolveStopped!: () => void;
  #actor: Actor<M>;
  #idle = true;
  #draining = false;
  #stopRequested = false;
  #phase: Phase = "running";
  #system: SystemMessage[] = [{ kind: "start" }];
  #retry: M[] | undefined;
  /** Timers set through `scheduleSelf`, cancelled when the instance that set them goes. */
  readonly #timers = new Set<unknown>();

  constructor(
    name: string,
    props: Props<M>,
    options: { host: CellHost; parent?: ActorCell<unknown>; stats: ActorStats; log: Logger },
  ) {
    this.name = name;
    this.parent = options.parent;
    this.#props = props;
    this.#host = options.host;
    this.#stats = options.stats;
    this.#log = options.log;
    this.#supervisor = new Supervisor(props.supervision, options.host.random);
    const clock = options.host.clock;
    this.#mailbox = new Mailbox<M>(props.mailbox, {
      now: () => clock.monotonic(),
      counters: options.stats,
      closedError: () => new ActorStoppedError(name),
    });
    this.#stats.size = () => this.#mailbox.size;
    this.#stats.capacity = this.#mailbox.capacity;
    this.#stats.policy = this.#mailbox.policy;
    this.#ctx = {
      name,
      self: this,
      system: options.host.system,
      log: options.log,
      clock,
      spawn: <C>(p: Props<C>) => options.host.spawnChild(p, this as ActorCell<unknown>),
      tellSelf: (message: M) => this.#tellSelf(message),
      scheduleSelf: (message: M, ms: number) => this.#scheduleSelf(message, ms),
    };
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
    this.#actor = props.factory();
    this.#wake();
  }

  get size(): number {
    return this.#mailbox.size;
  }

  get capacity(): number {
    return this.#mailbox.capacity;
  }

  /** True once the actor stopped for good. */
  get stopped(): boolean {
    return this.#phase === "stopped";
  }

  /** False once the actor is finishing (running `stopping()`) or stopped. */
  get running(): boolean {
    return this.#phase === "running";
  }

  /** Resolves when the actor has stopped, however it stopped. */
  get whenStopped(): Promise<void> {
    return this.#stopped;
  }

  tell(message: M): void | Promise<void> {
    const pending = this.#mailbox.offer(message);
    if (this.#idle) this.#wake();
    return pending;
  }

  tellBatch(messages: readonly M[]): void | Promise<void> {
    const pending = this.#mailbox.offerAll(messages);
    if (this.#idle) this.#wake();
    return pending;
  }

  /**
   * Graceful stop: children first (last spawned first), then this actor stops accepting, drains its
   * mailbox (blocked senders included), runs `stopping()` and stops.
   */
  async stop(): Promise<void> {
    if (this.#stopRequested) return this.#stopped;
    this.#stopRequested = true;
    for (const child of [...this.children].reverse()) await child.stop();
    if (this.#phase === "running") {
      this.#draining = true;
      this.#mailbox.close();
      this.#wake();
    }
    return this.#stopped;
  }

  /** Queues a `stop` system message: it overtakes queued messages, which go to dead letters. */
  stopSoon(): void {
    this.#signal({ kind: "stop" });
  }

  /** Queues a `restart` system message (counted against the restart limit, with backoff). */
  restartSoon(reason: unknown): void {
    this.#signal({ kind: "restart", reason });
  }

  /** A child escalated: fail this actor with `error` ahead of its queued messages. */
  childFailed(error: EscalationError): void {
    this.#signal({ kind: "failed", error });
  }

  /**
   * Stops now, without hooks and without waiting for a handler in flight (its result is ignored).
   * Returns the messages discarded (they went to dead letters), children's included.
   */
  kill(): number {
    if (this.#phase === "stopped") return 0;
    let discarded = 0;
    for (const child of [...this.children].reverse()) discarded += child.kill();
    this.#phase = "stopped";
    this.#abort.abort();
    this.#cancelTimers();
    discarded += this.#discardRest(new ActorStoppedError(this.name));
    this.#host.unregister(this as ActorCell<unknown>);
    this.#resolveStopped();
    return discarded;
  }

  /** Whether a stop of this actor or of the whole system has begun. */
  #ending(): boolean {
    return this.#stopRequested || this.#host.shuttingDown;
  }

  #tellSelf(message: M): void {
    if (this.#phase !== "running" || this.#draining) return;
    try {
      const pending = this.tell(message);
      if (pending) pending.catch(() => {});
    } catch {
      // Stopped meanwhile: a self-message has nothing to deliver.
    }
  }

  #scheduleSelf(message: M, ms: number): () => void {
    const clock = this.#host.clock;
    const handle = clock.setTimeout(() => {
      this.#timers.delete(handle);
      this.#tellSelf(message);
    }, ms);
    this.#timers.add(handle);
    return () => {
      clock.clearTimeout(handle);
      this.#timers.delete(handle);
    };
  }

  #cancelTimers(): void {
    for (const handle of this.#timers) this.#host.clock.clearTimeout(handle);
    this.#timers.clear();
  }

  #signal(message: SystemMessage): void {
    if (this.#phase === "stopped") return;
    this.#system.push(message);
    this.#wake();
  }

  #wake(): void {
    if (!this.#idle) return;
    this.#idle = false;
    scheduler.schedule(this);
  }

  /** One turn: pending system messages, then at most one batch of user messages. */
  #turn(): void {
    const mailbox = this.#mailbox;
    for (;;) {
      if (this.#phase !== "running") return;
      if (this.#system.length > 0) {
        const pending = this.#onSystem(this.#system.shift()!);
        if (pending !== undefined) return this.#await(pending);
        continue;
      }
      if (this.#retry === undefined && mailbox.size === 0) {
        if (this.#draining && mailbox.empty) return this.#await(this.#finish("graceful"));
        this.#idle = true;
        return;
      }
      const t0 = this.#host.clock.monotonic();
      const pending = this.#actor.receiveBatch ? this.#batchTurn(t0) : this.#messageTurn(t0);
      if (pending !== undefined) return this.#await(pending);
      if (mailbox.size > 0 || this.#system.length > 0 || this.#retry !== undefined) {
        scheduler.schedule(this);
        return;
      }
    }
  }

  #await(pending: Promise<void>): void {
    pending.then(this.runTurn, (error) => {
      this.#log.error("runtime fault", { error });
      this.#turn();
    });
  }

  /** Closes a turn: `handled` messages succeeded (which also ends any retry streak). */
  #endTurn(t0: number, handled: number): void {
    const stats = this.#stats;
    stats.observeTurn((this.#host.clock.monotonic() - t0) / 1000);
    if (handled > 0) {
      stats.processed += handled;
      this.#supervisor.succeeded();
    }
  }

  #messageTurn(t0: number): Pending {
    const mailbox = this.#mailbox;
    const actor = this.#actor;
    // One property load per turn, not per message: across actor types this load is megamorphic.
    const receive = actor.receive;
    const ctx = this.#ctx;
    let budget = mailbox.batchSize;
    let handled = 0;
    let message: M;
    if (this.#retry !== undefined) {
      message = this.#retry[0];
      this.#retry = undefined;
    } else {
      message = mailbox.shift();
    }
    // The tight loop: handlers that return nothing. Anything else leaves it to be looked at.
    let result: void | Promise<void>;
    for (;;) {
      try {
        result = receive.call(actor, message, ctx);
      } catch (error) {
        this.#endTurn(t0, handled);
        return this.#failed(error, [message]);
      }
      if (result !== undefined) {
        if (isThenable(result)) return this.#settle(result, t0, [message], handled);
      }
      handled++;
      if (--budget === 0 || mailbox.size === 0 || this.#phase !== "running") break;
      message = mailbox.shift();
    }
    this.#endTurn(t0, handled);
    return undefined;
  }

  /** Waits for an async handler: success completes the turn, failure is supervised. */
  #settle(result: PromiseLike<void>, t0: number, messages: M[], before: number): Promise<void> {
    return Promise.resolve(result).then(() => {
      this.#endTurn(t0, before + messages.length);
    }, (error) => {
      this.#endTurn(t0, before);
      return this.#failed(error, messages);
    });
  }

  #batchTurn(t0: number): Pending {
    const batch = this.#retry ?? this.#mailbox.take(this.#mailbox.batchSize);
    this.#retry = undefined;
    let result: void | Promise<void>;
    try {
      result = this.#actor.receiveBatch!(batch, this.#ctx);
    } catch (error) {
      this.#endTurn(t0, 0);
      return this.#failed(error, batch);
    }
    if (result !== undefined && isThenable(result)) return this.#settle(result, t0, batch, 0);
    this.#endTurn(t0, batch.length);
    return undefined;
  }

  #onSystem(message: SystemMessage): Pending {
    switch (message.kind) {
      case "start":
        return this.#runHook((actor) => actor.started?.(this.#ctx));
      case "stop":
        return this.#finish("stopped");
      case "restart":
        return this.#restart(message.reason);
      case "failed":
        return this.#failed(message.error, undefined);
    }
  }

  /** Runs a lifecycle hook, supervising its failure like a handler's. */
  #runHook(hook: (actor: Actor<M>) => void | Promise<void>): Pending {
    let result: void | Promise<void>;
    try {
      result = hook(this.#actor);
    } catch (error) {
      return this.#failed(error, undefined);
    }
    if (result !== undefined && isThenable(result)) {
      return Promise.resolve(result).then(undefined, (error) => this.#failed(error, undefined));
    }
    return undefined;
  }

  /** Applies supervision to a failure of `messages` (undefined: outside a handler). */
  #failed(error: unknown, messages: M[] | undefined): Pending {
    if (this.#phase !== "running") return;
    this.#stats.failures++;
    const outcome = this.#supervisor.onFailure(error, messages);
    if (outcome.deciderError !== undefined) {
      this.#log.error("decider threw; escalating", { error: outcome.deciderError });
    }
    this.#retry = outcome.retry;
    for (const m of outcome.deadLetters ?? []) this.#deadLetter(m, error, outcome.attempts);
    const { attempts } = outcome;
    // A stop is under way (this actor's or the system's): a restart would start what the stop is
    // ending (a consumer rejoining its group, a feed reconnecting), so the actor stops instead.
    const directive = outcome.directive === "restart" && this.#ending()
      ? "stop"
      : outcome.directive;
    this.#log.warn("actor failed", { error, directive, attempts });
    switch (directive) {
      case "resume":
        return;
      case "restart":
        return this.#restart(error);
      case "stop":
        return this.#finish("stopped");
      case "escalate":
        return this.#escalate(error, "escalated");
    }
  }

  async #restart(error: unknown): Promise<void> {
    const clock = this.#host.clock;
    const plan = this.#supervisor.planRestart(clock.monotonic());
    if ("exceeded" in plan) return this.#escalate(error, plan.exceeded);
    // Children belong to the failed instance; the new one spawns its own in started/restarted.
    for (const child of [...this.children].reverse()) child.kill();
    // As Akka's preRestart: let the failed instance release what it holds (connections, loops,
    // buffered rows) before a fresh one takes over; its timers go with it.
    this.#cancelTimers();
    await this.#runStopping();
    try {
      await clock.sleep(plan.delayMs, this.#abort.signal);
    } catch {
      return; // killed during the backoff
    }
    if (this.#phase !== "running") return;
    if (this.#ending()) return this.#finish("stopped");
    this.#supervisor.recordRestart(clock.monotonic());
    this.#stats.restarts++;
    this.#log.info("restarting", { delayMs: Math.round(plan.delayMs), restarts: plan.restarts });
    try {
      this.#actor = this.#props.factory();
    } catch (factoryError) {
      return this.#failed(factoryError, undefined);
    }
    return this.#runHook((actor) =>
      actor.restarted ? actor.restarted(error, this.#ctx) : actor.started?.(this.#ctx)
    );
  }

  async #escalate(error: unknown, reason: string): Promise<void> {
    const escalation = new EscalationError(this.name, error, reason);
    this.#log.error("escalating", { error: describe(error), reason });
    await this.#finish("stopped");
    // A parent already finishing can no longer decide anything: the root must hear of it.
    if (this.parent?.running) this.parent.childFailed(escalation);
    else this.#host.escalateToRoot(escalation);
  }

  /** Stops for good: children, then `stopping()`, then what is left goes to dead letters. */
  async #finish(mode: "graceful" | "stopped"): Promise<void> {
    if (this.#phase !== "running") return;
    this.#phase = "finishing";
    this.#cancelTimers();
    this.#mailbox.close();
    for (const child of [...this.children].reverse()) {
      if (mode === "graceful") await child.stop();
      else child.kill();
    }
    // Bounded unless graceful: a broken instance must not keep a failure from reaching the parent
    // (a graceful stop is bounded by the shutdown deadline instead).
    await this.#runStopping(mode === "graceful" ? undefined : STOPPING_TIMEOUT_MS);
    if ((this.#phase as Phase) === "stopped") return; // killed meanwhile
    this.#phase = "stopped";
    this.#discardRest(new ActorStoppedError(this.name));
    this.#host.unregister(this as ActorCell<unknown>);
    this.#resolveStopped();
  }

  /** Runs the current instance's `stopping()`; errors are logged, a timeout abandons it. */
  async #runStopping(timeoutMs: number | undefined = STOPPING_TIMEOUT_MS): Promise<void> {
    const actor = this.#actor;
    if (actor.stopping === undefined) return;
    const timer = new AbortController();
    const expired = timeoutMs === undefined
      ? new Promise<boolean>(() => {})
      : this.#host.clock.sleep(timeoutMs, timer.signal).then(() => true, () => false);
    try {
      const hook = Promise.resolve().then(() => actor.stopping!(this.#ctx)).then(() => false);
      if (await Promise.race([hook, expired])) {
        this.#log.error("stopping() did not finish in time", { timeoutMs });
      }
    } catch (error) {
      this.#log.error("stopping() failed", { error });
    } finally {
      timer.abort();
    }
  }

  #discardRest(error: ActorStoppedError): number {
    // A copy: a retried batch array may still be held by the actor that received it.
    const rest = (this.#retry ?? []).concat(this.#mailbox.discard(error));
    this.#retry = undefined;
    for (const m of rest) this.#deadLetter(m, error, 0);
    if (rest.length > 0) {
      this.#log.warn("undelivered messages went to dead letters", { count: rest.length });
    }
    return rest.length;
  }

  #deadLetter(message: M, error: unknown, attempts: number): void {
    this.#stats.deadLetters++;
    this.#host.deadLetter(this.name, message, error, attempts);
  }
}
