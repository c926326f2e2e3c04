/**
 * The errors the pipeline raises on purpose, in one hierarchy. Every one carries `retriable` and
 * `cause`, so a supervisor, a sink's retry loop or the process' exit code decides from data, not
 * message text: {@linkcode PipelineError} is the base, {@linkcode ConfigError} every invalid
 * setting (all `problems` at once), {@linkcode isRetriable} the one way to ask.
 * (`src/market` stays self-contained: its pure functions throw plain `RangeError`s.)
 * @module
 */

/** Options of {@linkcode PipelineError}. */
export interface PipelineErrorOptions {
  /** Whether trying the same operation again may succeed (a timeout, a lost connection). */
  retriable?: boolean;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Base class of every error the pipeline raises on purpose.
 *
 * @example
 * ```ts
 * import { PipelineError } from "./errors.ts";
 * const error = new PipelineError("Cannot write batch: connection reset", { retriable: true });
 * if (!error.retriable) throw error;
 * ```
 */
export class PipelineError extends Error {
  /** Whether trying again may succeed. */
  readonly retriable: boolean;

  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/**
 * Invalid configuration: every problem found, at once; never retriable. Subclasses name what
 * was configured (a connector, a feed, a permission grant).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigError } from "./errors.ts";
 * const e = new ConfigError("Redis", ["url is missing", "db must be ≥ 0"]);
 * assert.deepEqual(e.problems, ["url is missing", "db must be ≥ 0"]);
 * assert.equal(e.message, "Invalid Redis configuration: url is missing; db must be ≥ 0");
 * ```
 */
export class ConfigError extends PipelineError {
  /** Each problem, as a sentence fragment. */
  readonly problems: readonly string[];

  constructor(what: string, problems: readonly string[], options: { cause?: unknown } = {}) {
    super(`Invalid ${what} configuration: ${problems.join("; ")}`, {
      retriable: false,
      cause: options.cause,
    });
    this.problems = problems;
  }
}

/**
 * Whether `error` says trying again may succeed: the first `retriable` flag along its `cause`
 * chain (outermost first); false when none says.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRetriable, PipelineError } from "./errors.ts";
 * const inner = new PipelineError("socket reset", { retriable: true });
 * assert.equal(isRetriable(new Error("write failed", { cause: inner })), true);
 * assert.equal(isRetriable(new Error("bug")), false);
 * ```
 */
export function isRetriable(error: unknown): boolean {
  return retriableOf(error) === true;
}

/**
 * The first `retriable` flag along the `cause` chain of `error` (outermost first), or undefined
 * when no error in the chain says (the supervisor's default decider tells the two apart).
 */
export function retriableOf(error: unknown): boolean | undefined {
  const seen = new Set<unknown>();
  let current = error;
  while (current !== null && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const flag = (current as { retriable?: unknown }).retriable;
    if (typeof flag === "boolean") return flag;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
