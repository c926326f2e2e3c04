/**
 * Tick ↔ Kafka record. The key is the symbol (so one symbol's ticks stay ordered in one partition),
 * the value is the tick as JSON with a fixed field order (same tick, same bytes), and two headers
 * travel with it: `source` and `schema-version`. Dead letters go to the DLQ topic with the original
 * bytes as the value and the reason in headers.
 * @module
 */
import { Buffer } from "node:buffer";
import type { DeadLetter } from "../../market/dead_letter.ts";
import { lacksSource, type ParseResult, type TickParser } from "../../market/tick_parser.ts";
import type { Tick } from "../../market/tick.ts";
import type { RecordCursor } from "./record_cursor.ts";

/** The `schema-version` header value written by {@linkcode encodeTick}. */
export const TICK_SCHEMA_VERSION = "1";

/** Header values as kafkajs hands them over. */
export type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** A record ready for the producer (kafkajs `Message`-compatible). */
export interface EncodedRecord {
  key: string;
  value: string | Buffer;
  headers: Record<string, string>;
}

/** Result of {@linkcode decodeTick}: the tick, or why it was rejected. */
export type DecodedTick = ParseResult;

/**
 * Encodes a tick as a record keyed by symbol.
 *
 * @example
 * ```ts
 * import { encodeTick } from "./tick_codec.ts";
 * const r = encodeTick({ source: "sim", symbol: "BTC-USD", price: 1, size: 2, ts: 3, id: "4" });
 * console.assert(r.key === "BTC-USD" && r.headers.source === "sim");
 * ```
 */
export function encodeTick(tick: Tick): EncodedRecord {
  const value = JSON.stringify({
    source: tick.source,
    symbol: tick.symbol,
    price: tick.price,
    size: tick.size,
    ts: tick.ts,
    id: tick.id,
    ...(tick.side ? { side: tick.side } : {}),
  });
  return {
    key: tick.symbol,
    value,
    headers: { source: tick.source, "schema-version": TICK_SCHEMA_VERSION },
  };
}

/**
 * Decodes a record into a tick through the shared {@linkcode TickParser} (the one gate for
 * untrusted input). Never throws: bad input comes back as `{ ok: false, reason, detail }` for the
 * dead-letter topic. The `source` header fills a value without a source; an unknown
 * `schema-version` is rejected as `unknown_message`.
 *
 * @example
 * ```ts
 * import { decodeTick, encodeTick } from "./tick_codec.ts";
 * import { TickParser } from "../../market/tick_parser.ts";
 * const tick = { source: "sim", symbol: "BTC-USD", price: 1, size: null, ts: 1.7e12, id: "4" };
 * const r = encodeTick(tick);
 * const back = decodeTick(new TextEncoder().encode(r.value as string), r.headers, new TickParser());
 * console.assert(back.ok);
 * ```
 */
export function decodeTick(
  value: Buffer | Uint8Array | null,
  headers: RecordHeaders | undefined,
  parser: TickParser,
): DecodedTick {
  const unsupported = unsupportedVersion(headers);
  if (unsupported !== null) return { ok: false, reason: "unknown_message", detail: unsupported };
  if (value === null) return { ok: false, reason: "missing_field", detail: "record has no value" };
  // Hot path: Buffer → string is about twice as fast as the parser's strict UTF-8 decoder. Text
  // holding U+FFFD may come from invalid UTF-8, so it takes the strict path to be judged the same.
  let r: ParseResult;
  if (Buffer.isBuffer(value)) {
    const text = value.toString("utf8");
    r = text.includes("\uFFFD") ? parser.parse(value as unknown as Uint8Array) : parser.parse(text);
  } else {
    r = parser.parse(value);
  }
  // The source header only matters for a value without a source, which is rare: look it up then.
  if (!r.ok && lacksSource(r) && headers) {
    const source = headerString(headers, "source");
    if (source) return parser.parse(value as unknown as Uint8Array, source);
  }
  return r;
}

/**
 * Why a record's `schema-version` header rules it out (an `unknown_message`), or null when it is
 * absent or current.
 */
export function unsupportedVersion(headers: RecordHeaders | undefined): string | null {
  const version = headers?.["schema-version"];
  if (version === undefined || isCurrentVersion(version)) return null;
  return `unsupported schema-version ${headerString(headers!, "schema-version")}`;
}

const VERSION_BYTE = TICK_SCHEMA_VERSION.charCodeAt(0);

function isCurrentVersion(header: NonNullable<RecordHeaders[string]>): boolean {
  const v = Array.isArray(header) ? header[0] : header;
  if (typeof v === "string") return v === TICK_SCHEMA_VERSION;
  // Compare the bytes: no string allocated per record.
  return TICK_SCHEMA_VERSION.length === 1
    ? v.length === 1 && v[0] === VERSION_BYTE
    : v.toString("utf8") === TICK_SCHEMA_VERSION;
}

/**
 * Encodes a dead letter for the DLQ topic: the original bytes as the value (so nothing is lost),
 * the reason and detail in headers, the key = where it came from.
 *
 * @example
 * ```ts
 * import { encodeDeadLetter } from "./tick_codec.ts";
 * const r = encodeDeadLetter({ reason: "bad_price", detail: "price -1", raw: "{}", source: "t/0", ts: 1 });
 * console.assert(r.headers.reason === "bad_price");
 * ```
 */
export function encodeDeadLetter(letter: DeadLetter, original?: Uint8Array): EncodedRecord {
  return {
    key: letter.source,
    value: original
      ? Buffer.from(original.buffer as ArrayBuffer, original.byteOffset, original.length)
      : letter.raw,
    headers: {
      reason: letter.reason,
      detail: letter.detail.slice(0, 512),
      source: letter.source,
      "rejected-at": String(letter.ts),
      "schema-version": TICK_SCHEMA_VERSION,
    },
  };
}

/** Reads one header as a string (first value when repeated). */
export function headerString(headers: RecordHeaders, name: string): string | undefined {
  const first = headerValue(headers, name);
  if (first === undefined) return undefined;
  return typeof first === "string" ? first : first.toString("utf8");
}

/** One header as kafkajs holds it, undecoded (first value when repeated). */
export function headerValue(
  headers: RecordHeaders | undefined,
  name: string,
): Buffer | string | undefined {
  const v = headers?.[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Header marking a control record (not a tick). */
export const CONTROL_HEADER = "control";
/** The control value a finite replay writes to every partition when its input ends. */
export const END_OF_INPUT = "end-of-input";

/** Whether a record is the end-of-input marker. */
export function isEndOfInput(headers: RecordHeaders | undefined): boolean {
  return headers !== undefined && headers[CONTROL_HEADER] !== undefined &&
    headerString(headers, CONTROL_HEADER) === END_OF_INPUT;
}

/** The end-of-input marker for `partition`. */
export function endOfInputRecord(
  partition: number,
): { partition: number; key: null; value: null; headers: RecordHeaders } {
  return {
    partition,
    key: null,
    value: null,
    headers: { [CONTROL_HEADER]: END_OF_INPUT, "schema-version": TICK_SCHEMA_VERSION },
  };
}

const ascii = (s: string) => new TextEncoder().encode(s);
const CONTROL_NAME = ascii(CONTROL_HEADER);
const END_OF_INPUT_BYTES = ascii(END_OF_INPUT);
const VERSION_NAME = ascii("schema-version");
const VERSION_BYTES = ascii(TICK_SCHEMA_VERSION);

/**
 * Whether the record under `c` is an ordinary tick record, read from its bytes: a value, no
 * end-of-input marker, no other `schema-version`. Exactly the records that
 * {@linkcode isEndOfInput}, {@linkcode unsupportedVersion} and a null value let through as ticks
 * (a header name read by its first non-null value, as a consumer reading headers by name sees it).
 */
export function isTickRecord(c: RecordCursor): boolean {
  if (c.valueLength < 0) return false;
  if (c.header(CONTROL_NAME) && c.headerIs(END_OF_INPUT_BYTES)) return false;
  return !c.header(VERSION_NAME) || c.headerIs(VERSION_BYTES);
}
