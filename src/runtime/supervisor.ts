/**
 * The supervision bookkeeping of one actor, kept apart from the actor's turn loop so the policy
 * (what to retry, what to dead-letter, when restarts turn into an escalation) is plain logic.
 * @module
 */
import { retriableOf } from "./errors.ts";
import {
  backoffDelay,
  type Directive,
  type ResolvedSupervision,
  resolveSupervision,
  RestartWindow,
  type SupervisionOptions,
} from "./supervision.ts";

/** What to do about one failure. */
export interface FailureOutcome<M> {
  directive: Directive;
  /** Attempts so far at the failed message(s); 0 for failures outside a handler (hooks). */
  attempts: number;
  /** Messages to hand again to the handler first. */
  retry?: M[];
  /** Messages given up on. */
  deadLetters?: M[];
  /** The decider itself threw (the directive is then `escalate`). */
  deciderError?: unknown;
}

/** The next restart: a delay, or the reason it must escalate instead. */
export type RestartPlan = { delayMs: number; restarts: number } | { exceeded: string };

/**
 * Applies {@linkcode SupervisionOptions} to an actor's failures.
 *
 * @example
 * ```ts
 * import { Supervisor } from "./supervisor.ts";
 * const s = new Supervisor({ maxMessageFailures: 2, decide: () => "resume" }, Math.random);
 * s.onFailure(new Error("x"), ["m"]).retry; // ["m"]
 * s.onFailure(new Error("x"), ["m"]).deadLetters; // ["m"]
 * ```
 */
export class Supervisor {
  readonly options: ResolvedSupervision;
  readonly #window: RestartWindow;
  readonly #random: () => number;
  #attempts = 0;

  constructor(options: SupervisionOptions | undefined, random: () => number) {
    this.options = resolveSupervision(options);
    this.#window = new RestartWindow(this.options.withinMs);
    this.#random = random;
  }

  /** The messages being retried were handled: the next failure starts a new count. */
  succeeded(): void {
    this.#attempts = 0;
  }

  /**
   * Decides about a failure of `messages` (undefined: a lifecycle hook or a child's escalation).
   * They are retried until they failed K times; explicitly non-retriable errors, `stop` and
   * `escalate` give them up at once.
   */
  onFailure<M>(error: unknown, messages: M[] | undefined): FailureOutcome<M> {
    let directive: Directive;
    let deciderError: unknown;
    try {
      directive = this.options.decide(error);
    } catch (e) {
      directive = "escalate";
      deciderError = e;
    }
    if (messages === undefined) return { directive, attempts: 0, deciderError };
    const attempts = ++this.#attempts;
    const giveUp = attempts >= this.options.maxMessageFailures || retriableOf(error) === false ||
      directive === "stop" || directive === "escalate";
    if (!giveUp) return { directive, attempts, retry: messages, deciderError };
    this.#attempts = 0;
    return { directive, attempts, deadLetters: messages, deciderError };
  }

  /** The backoff before the next restart at `now` (monotonic ms), or why it must escalate. */
  planRestart(now: number): RestartPlan {
    const recent = this.#window.count(now);
    const { maxRestarts, withinMs, backoff } = this.options;
    if (recent >= maxRestarts) {
      return { exceeded: `exceeded ${maxRestarts} restarts within ${withinMs} ms` };
    }
    return { delayMs: backoffDelay(recent, backoff, this.#random), restarts: recent + 1 };
  }

  /** Records a restart that happened at `now`. */
  recordRestart(now: number): void {
    this.#window.record(now);
  }
}
