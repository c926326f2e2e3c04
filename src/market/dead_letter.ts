/**
 * The dead letter: input that could not become a result, with the reason, so nothing is lost.
 * @module
 */

/** Why input was rejected. The first seven come from the tick parser. */
export type RejectReason =
  | "malformed_json"
  | "missing_field"
  | "bad_price"
  | "bad_size"
  | "bad_timestamp"
  | "too_large"
  | "unknown_symbol"
  | "symbol_limit"
  | "late"
  | "unknown_message"
  | "misrouted"
  | "delivery_failed";

/** One rejected input. */
export interface DeadLetter {
  readonly reason: RejectReason;
  /** Human-readable detail, e.g. which field was missing. */
  readonly detail: string;
  /** The original payload, as text (bytes decoded as UTF-8, objects as JSON). */
  readonly raw: string;
  /** Where it came from: a feed name, a topic/partition, or a sink. */
  readonly source: string;
  /** When it was rejected, epoch ms (processing time). */
  readonly ts: number;
}
