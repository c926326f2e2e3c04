/**
 * Errors of the Kafka connector. Each carries `retriable` (the supervisor restarts on true and
 * escalates on false) and the underlying kafkajs error as `cause`.
 * @module
 */
import { ConfigError, PipelineError } from "../../errors.ts";

/** Options shared by the Kafka connector errors. */
export interface KafkaErrorOptions {
  cause?: unknown;
  /** Overrides the retriable flag derived from `cause`. */
  retriable?: boolean;
}

/**
 * True when a kafkajs error (or one in its `cause` chain) says retrying may succeed; for
 * `@platformatic/kafka` errors, their `canRetry` (a "failed N times" error: its last attempt's).
 */
export function isRetriableKafkaError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 8; depth++) {
    if (typeof e !== "object") return false;
    const { name, retriable, cause, canRetry, errors } = e as {
      name?: string;
      retriable?: boolean;
      cause?: unknown;
      canRetry?: boolean;
      errors?: unknown[];
    };
    if (name === "KafkaJSNumberOfRetriesExceeded" || name === "KafkaJSConnectionError") return true;
    if (retriable === true || canRetry === true) return true;
    if (retriable === false && name !== "KafkaJSNumberOfRetriesExceeded") return false;
    e = cause ?? (e as { originalError?: unknown }).originalError ?? errors?.at(-1);
  }
  return false;
}

/** Base class: every Kafka connector error (retriable unless kafkajs says otherwise). */
export class KafkaConnectorError extends PipelineError {
  constructor(message: string, options: KafkaErrorOptions = {}) {
    super(message, {
      cause: options.cause,
      retriable: options.retriable ?? isRetriableKafkaError(options.cause),
    });
  }
}

/** The Kafka configuration is invalid; `problems` lists every problem found. */
export class KafkaConfigError extends ConfigError {
  constructor(problems: readonly string[]) {
    super("Kafka", problems);
  }
}

/** A batch could not be delivered after every retry. `records` is how many were lost with it. */
export class KafkaProduceError extends KafkaConnectorError {
  readonly topics: readonly string[];
  readonly records: number;
  constructor(topics: readonly string[], records: number, options: KafkaErrorOptions = {}) {
    super(
      `Cannot deliver ${records} record(s) to ${topics.join(", ")}: ${messageOf(options.cause)}`,
      options,
    );
    this.topics = topics;
    this.records = records;
  }
}

/** The producer is stopped or failed; nothing more can be sent. */
export class KafkaProducerClosedError extends KafkaConnectorError {
  constructor(message: string, options: KafkaErrorOptions = {}) {
    super(message, { retriable: false, ...options });
  }
}

/** The kafkajs consumer crashed (its `CRASH` event); the supervisor decides what happens next. */
export class KafkaConsumerCrashError extends KafkaConnectorError {
  readonly groupId: string;
  constructor(groupId: string, options: KafkaErrorOptions = {}) {
    super(`Kafka consumer of group ${groupId} crashed: ${messageOf(options.cause)}`, options);
    this.groupId = groupId;
  }
}

/** An offset commit failed. */
export class KafkaCommitError extends KafkaConnectorError {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  constructor(topic: string, partition: number, offset: string, options: KafkaErrorOptions = {}) {
    super(
      `Cannot commit offset ${offset} of ${topic}/${partition}: ${messageOf(options.cause)}`,
      options,
    );
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
  }
}

const GENERATION_ERRORS = new Set([
  "REBALANCE_IN_PROGRESS",
  "ILLEGAL_GENERATION",
  "UNKNOWN_MEMBER_ID",
  "FENCED_INSTANCE_ID",
]);

/**
 * True when a request was refused because this member's group generation is over (a rebalance):
 * not a real failure, the member rejoins.
 */
export function isGenerationError(error: unknown, depth = 0): boolean {
  // kafkajs' retrier wraps the protocol error; its `type` is somewhere down the cause chain.
  // `@platformatic/kafka` names it `apiId`, inside the `errors` of a response or retry error.
  for (let e = error; e && typeof e === "object" && depth < 8; depth++) {
    const { type, apiId, cause, errors } = e as {
      type?: unknown;
      apiId?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof type === "string" && GENERATION_ERRORS.has(type)) return true;
    if (typeof apiId === "string" && GENERATION_ERRORS.has(apiId)) return true;
    if (Array.isArray(errors) && errors.some((x) => isGenerationError(x, depth + 1))) return true;
    if (cause === e) break;
    e = cause;
  }
  return false;
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause ?? "unknown error");
}
