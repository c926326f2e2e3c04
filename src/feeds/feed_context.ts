/**
 * What every feed shares: its dependencies, and the one path from venue fields to a validated
 * tick or a dead letter (validation, duplicate drop, metrics).
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { RejectReason } from "../market/dead_letter.ts";
import type { ParseResult, RawTickFields } from "../market/tick_parser.ts";
import type { Registry } from "../telemetry/metrics.ts";
import type { FeedMetrics } from "./feed_metrics.ts";
import { RecentIds } from "./recent_ids.ts";
import type { TickOutput } from "./source.ts";

/** Venue fields handed to the validator. */
export type FeedTickFields = RawTickFields;

/**
 * The part of `TickParser` feeds use (structural, so tests may pass a stricter or stub parser).
 */
export interface TickValidator {
  validate(fields: RawTickFields): ParseResult;
}

/** Dependencies of every `create<Venue>Source`. */
export interface FeedDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly parser: TickValidator;
  /** Jitter source in [0, 1); injected by tests. Default `Math.random`. */
  readonly random?: () => number;
}

const encoder = new TextEncoder();

/**
 * Validates venue fields and delivers the tick (or a dead letter), dropping recent duplicates.
 *
 * @example
 * ```ts ignore
 * const emit = new TickEmitter("kraken", output, { parser, clock, metrics, dedupeCapacity: 1000 });
 * await emit.fields({ symbol: "BTC-USD", price: 1, size: 1, ts: 0, id: "1" }, () => "{}");
 * ```
 */
export class TickEmitter {
  readonly source: string;
  readonly #output: TickOutput;
  readonly #parser: TickValidator;
  readonly #clock: Clock;
  readonly #metrics: FeedMetrics;
  readonly #recent: RecentIds;

  constructor(
    source: string,
    output: TickOutput,
    options: { parser: TickValidator; clock: Clock; metrics: FeedMetrics; dedupeCapacity: number },
  ) {
    this.source = source;
    this.#output = output;
    this.#parser = options.parser;
    this.#clock = options.clock;
    this.#metrics = options.metrics;
    this.#recent = new RecentIds(options.dedupeCapacity);
  }

  /** Validates one trade; `raw` renders the input for a dead letter only when needed. */
  fields(fields: FeedTickFields, raw: () => string): void | Promise<void> {
    const result = this.#parser.validate({ ...fields, source: this.source });
    if (!result.ok) {
      this.#metrics.error("rejected");
      return this.dead(result.reason, result.detail, raw());
    }
    const t = result.tick;
    if (!this.#recent.add(t.symbol, t.id)) {
      this.#metrics.duplicate();
      return;
    }
    this.#metrics.tick();
    return this.#output.tick(t);
  }

  /**
   * Refuses well-formed input the feed does not take (a trade of a symbol it did not subscribe
   * to): counted as `rejected`, like a trade the parser refuses, and dead-lettered.
   */
  refuse(reason: RejectReason, detail: string, raw: string): void | Promise<void> {
    this.#metrics.error("rejected");
    return this.dead(reason, detail, raw);
  }

  /** Delivers a dead letter for input of this feed (the caller counts it). */
  dead(reason: RejectReason, detail: string, raw: string): void | Promise<void> {
    return this.#output.deadLetter({
      reason,
      detail,
      raw,
      source: this.source,
      ts: this.#clock.now(),
    });
  }

  /**
   * Parses a frame as a JSON object, or dead-letters it (`too_large`, `malformed_json`,
   * `unknown_message` when it is JSON but not an object) and returns undefined.
   */
  async json(
    text: string,
    maxBytes: number,
  ): Promise<Record<string, unknown> | undefined> {
    // UTF-16 length ≤ UTF-8 length ≤ 3 × UTF-16 length: only count bytes when in doubt.
    if (
      text.length > maxBytes ||
      (text.length * 3 > maxBytes && encoder.encode(text).byteLength > maxBytes)
    ) {
      this.#metrics.error("too_large");
      await this.dead("too_large", `frame exceeds ${maxBytes} bytes`, text.slice(0, 1024));
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      this.#metrics.error("malformed");
      await this.dead("malformed_json", (e as Error).message, text);
      return undefined;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.#metrics.error("unknown_message");
      await this.dead("unknown_message", "expected a JSON object", text);
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  /** Dead-letters a well-formed frame of a type this feed does not know. */
  unknown(detail: string, raw: string): void | Promise<void> {
    this.#metrics.error("unknown_message");
    return this.dead("unknown_message", detail, raw);
  }
}

/** Returns a `BASE-QUOTE` symbol renamed through `map` when it has an entry. */
export function mapSymbol(symbol: string, map: Readonly<Record<string, string>>): string {
  return map[symbol] ?? symbol;
}
