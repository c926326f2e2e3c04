/**
 * A record fetched by the `@platformatic/kafka` consumer, in the shape kafkajs hands over, and
 * {@linkcode offsetOf}, which reads any consumed record's offset as a number.
 * @module
 */
import type { Buffer } from "node:buffer";
import type { IHeaders, KafkaMessage } from "kafkajs";

/**
 * A fetched record in kafkajs' shape whose offset and timestamp stay numbers until read as
 * strings: converting both for every record cost more than a tenth of the consumer thread's time
 * in the `process` role, which reads offsets through {@linkcode offsetOf} instead.
 */
export class FetchedMessage {
  constructor(
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    readonly headers: IHeaders,
    readonly attributes: number,
    readonly offsetNumber: number,
    readonly timestampNumber: number,
  ) {}

  get offset(): string {
    return String(this.offsetNumber);
  }

  get timestamp(): string {
    return String(this.timestampNumber);
  }

  /**
   * kafkajs' shape, for logs and dumps: the getters above are not own properties, so a spread
   * copy or `JSON.stringify` would otherwise show the numeric fields instead.
   */
  toJSON(): Record<string, unknown> {
    const { key, value, headers, attributes, offset, timestamp } = this;
    return { key, value, headers, attributes, offset, timestamp };
  }
}

/**
 * A consumed record's offset as a number, without a string in between where the client kept
 * it as one (offsets stay below 2^53 in any log this pipeline reads).
 *
 * @example
 * ```ts
 * import { offsetOf } from "./fetched_message.ts";
 * console.assert(offsetOf({ offset: "42" }) === 42);
 * ```
 */
export function offsetOf(m: Pick<KafkaMessage, "offset">): number {
  return m instanceof FetchedMessage ? m.offsetNumber : Number(m.offset);
}
