/**
 * One-for-one supervision: what happens when an actor's handler throws. The pure parts (the default
 * decider, the backoff curve, the restart window) live here; the actor cell applies them.
 * @module
 */
import { EscalationError, retriableOf } from "./errors.ts";

/**
 * What to do with a failed actor.
 * - `resume`: keep the instance and its state; the failed message is retried at once.
 * - `restart`: after a backoff, replace the instance with a fresh one from the factory; the failed
 *   message is retried on it.
 * - `stop`: stop the actor; the failed message and the rest of its mailbox go to dead letters.
 * - `escalate`: stop the actor and fail its parent with an {@linkcode EscalationError}; at the root
 *   this terminates the system with `ok: false`.
 */
export type Directive = "resume" | "restart" | "stop" | "escalate";

/** Exponential backoff between restarts. */
export interface BackoffOptions {
  /** Delay before the first restart in a window. */
  minMs: number;
  /** Upper bound of the delay. */
  maxMs: number;
  /** Growth per restart. Default 2. */
  factor?: number;
  /** Relative random spread, 0..1: the delay is multiplied by 1 ± jitter. Default 0.2. */
  jitter?: number;
}

/** How an actor is supervised. Every field has a default, see {@linkcode DEFAULT_SUPERVISION}. */
export interface SupervisionOptions {
  /** Maps an error to a directive. Default {@linkcode defaultDecider}. */
  decide?: (error: unknown) => Directive;
  /** Restarts allowed within `withinMs`; one more escalates instead. Default 10. */
  maxRestarts?: number;
  /** The sliding window of `maxRestarts`. Default 60 000. */
  withinMs?: number;
  /** Delay before each restart. Default 100 ms doubling to 30 s, ±20 %. */
  backoff?: BackoffOptions;
  /** Attempts after which a failing message goes to dead letters (K). Default 3. */
  maxMessageFailures?: number;
}

/** Supervision options with every default filled in. */
export interface ResolvedSupervision {
  decide: (error: unknown) => Directive;
  maxRestarts: number;
  withinMs: number;
  backoff: Required<BackoffOptions>;
  maxMessageFailures: number;
}

/**
 * The default decider:
 * - an {@linkcode EscalationError} (a child gave up) escalates further;
 * - the first `retriable` flag on the `cause` chain decides: `true` → `restart` (transient: fresh
 *   instance after a backoff, message retried), `false` → `resume` (bad input: the message goes to
 *   dead letters at once, the actor keeps its state);
 * - anything else (a bug, an unknown failure) → `restart`, as Akka does.
 */
export function defaultDecider(error: unknown): Directive {
  if (error instanceof EscalationError) return "escalate";
  const retriable = retriableOf(error);
  if (retriable === false) return "resume";
  return "restart";
}

/** The defaults of {@linkcode SupervisionOptions}. */
export const DEFAULT_SUPERVISION: Readonly<ResolvedSupervision> = Object.freeze({
  decide: defaultDecider,
  maxRestarts: 10,
  withinMs: 60_000,
  backoff: Object.freeze({ minMs: 100, maxMs: 30_000, factor: 2, jitter: 0.2 }),
  maxMessageFailures: 3,
});

/** Fills in defaults and validates, reporting every bad field at once. */
export function resolveSupervision(options: SupervisionOptions = {}): ResolvedSupervision {
  const d = DEFAULT_SUPERVISION;
  const backoff = { ...d.backoff, ...options.backoff };
  const resolved: ResolvedSupervision = {
    decide: options.decide ?? d.decide,
    maxRestarts: options.maxRestarts ?? d.maxRestarts,
    withinMs: options.withinMs ?? d.withinMs,
    backoff,
    maxMessageFailures: options.maxMessageFailures ?? d.maxMessageFailures,
  };
  const errors: string[] = [];
  const check = (ok: boolean, what: string, value: unknown) => {
    if (!ok) errors.push(`${what}, received ${value}`);
  };
  check(
    isNonNegInt(resolved.maxRestarts),
    "maxRestarts must be a non-negative integer",
    resolved.maxRestarts,
  );
  check(resolved.withinMs > 0, "withinMs must be positive", resolved.withinMs);
  check(
    Number.isInteger(resolved.maxMessageFailures) && resolved.maxMessageFailures >= 1,
    "maxMessageFailures must be an integer >= 1",
    resolved.maxMessageFailures,
  );
  check(backoff.minMs >= 0, "backoff.minMs must be >= 0", backoff.minMs);
  check(backoff.maxMs >= backoff.minMs, "backoff.maxMs must be >= backoff.minMs", backoff.maxMs);
  check(backoff.factor >= 1, "backoff.factor must be >= 1", backoff.factor);
  check(
    backoff.jitter >= 0 && backoff.jitter <= 1,
    "backoff.jitter must be within 0..1",
    backoff.jitter,
  );
  if (errors.length > 0) {
    throw new RangeError(`Cannot supervise: ${errors.join("; ")}`);
  }
  return resolved;
}

function isNonNegInt(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

/**
 * The delay before restart number `attempt` (0-based, counted within the restart window):
 * `min(maxMs, minMs · factor^attempt)`, spread by ±jitter with `random()` in [0, 1).
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./supervision.ts";
 * const b = { minMs: 100, maxMs: 1000, factor: 2, jitter: 0 };
 * backoffDelay(3, b, Math.random); // 800
 * ```
 */
export function backoffDelay(
  attempt: number,
  backoff: Required<BackoffOptions>,
  random: () => number,
): number {
  const base = Math.min(backoff.maxMs, backoff.minMs * backoff.factor ** attempt);
  const spread = 1 + backoff.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(backoff.maxMs, base * spread));
}

/** Restart timestamps within a sliding window, to enforce "at most N restarts within T". */
export class RestartWindow {
  readonly #withinMs: number;
  #times: number[] = [];

  constructor(withinMs: number) {
    this.#withinMs = withinMs;
  }

  /** Restarts still inside the window at `now`. */
  count(now: number): number {
    const from = now - this.#withinMs;
    let i = 0;
    while (i < this.#times.length && this.#times[i] <= from) i++;
    if (i > 0) this.#times = this.#times.slice(i);
    return this.#times.length;
  }

  /** Records a restart at `now`. */
  record(now: number): void {
    this.#times.push(now);
  }
}
