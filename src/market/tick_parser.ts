/**
 * The one gate for untrusted tick input: JSON text, bytes or feed-built fields → a valid
 * {@linkcode Tick} or a rejection with a reason from a fixed list. It never throws.
 * @module
 */
import { COMPOSITE_VENUE, LEGACY_VENUE } from "./candle.ts";
import type { RejectReason } from "./dead_letter.ts";
import { toNumber } from "./decimal.ts";
import { normaliseSymbol } from "./symbol.ts";
import { NOT_READ, parsedIdNumber, parseFlatTick } from "./tick_json.ts";
import { integerId } from "./tick_order.ts";
import type { Side, Tick } from "./tick.ts";
import { MIN_EVENT_TIME_MS, toEpochMs } from "./timestamp.ts";

/** Venue names the candles reserve: a feed of that name would be mistaken for them. */
const RESERVED_VENUES: ReadonlySet<string> = new Set([COMPOSITE_VENUE, LEGACY_VENUE]);

/** A parsed tick, or why the input was rejected (`detail` names the field and value). */
export type ParseResult =
  | { ok: true; tick: Tick }
  | Rejection;

/** Why an input was rejected (`detail` names the field and value). */
export interface Rejection {
  readonly ok: false;
  readonly reason: RejectReason;
  readonly detail: string;
}

/** Whether {@linkcode TickParser.parseTick} rejected its input (a tick has no `ok` field). */
export function isRejection(r: Tick | Rejection): r is Rejection {
  return (r as Rejection).ok === false;
}

/**
 * Whether the input was refused only for having no usable source: a transport that carries the
 * source beside the value (a Kafka header) may then parse it again with that source.
 */
export function lacksSource(r: Rejection): boolean {
  return r.reason === "missing_field" && r.detail.startsWith("source");
}

/** Tick fields as a feed decoded them, before validation. */
export interface RawTickFields {
  source?: unknown;
  symbol?: unknown;
  price?: unknown;
  size?: unknown;
  ts?: unknown;
  id?: unknown;
  side?: unknown;
}

/** Options of {@linkcode TickParser}. */
export interface TickParserOptions {
  /** Accepted symbols (any spelling; normalised here). Unset: every well-formed symbol passes. */
  allowList?: ReadonlySet<string>;
  /** Largest accepted message in UTF-8 bytes. Default 4096. */
  maxBytes?: number;
  /** How far past `now()` an event time may be. Default 60 000 ms. */
  maxFutureSkewMs?: number;
  /**
   * Processing clock for the future-skew check. Without it only the fixed ceiling
   * ({@linkcode MAX_EVENT_TIME_MS}) applies, since this module reads no clock of its own.
   */
  now?: () => number;
  /**
   * Also give each tick its `idNum` (the id read as a number, mostly while it is scanned), for
   * ticks bound for the candle aggregator, which then need not read the id's characters again.
   * Off by default: a tick then holds exactly its own fields, and `decodeTick(encodeTick(t))`
   * deep-equals `t`.
   */
  idNumbers?: boolean;
}

/** 2100-01-01T00:00:00Z: the ceiling for event times when no clock is given. */
export const MAX_EVENT_TIME_MS = 4_102_444_800_000;

/**
 * Largest accepted price: above any real quote (bitcoin in Iranian rial, about the weakest
 * currency it is quoted in, is ~1e11). With {@linkcode MAX_SIZE} it bounds a tick's price × size
 * at 1e27, so a candle's Σ price·size over even 2^32 ticks stays below 5e36, far from the largest
 * double (1.8e308): volume and VWAP are always finite. (A price of 1e308 made Σ price·size
 * infinite and the stored VWAP NULL.)
 */
export const MAX_PRICE = 1e12;

/**
 * Smallest accepted price: below any real quote (the cheapest tokens trade around 1e-10 of a
 * dollar or bitcoin). With {@linkcode MIN_SIZE} it keeps every non-zero price × size ≥ 1e-36, a
 * normal double: each term of Σ price·size keeps full precision, so VWAP is the weighted mean
 * of the prices up to one rounding. A subnormal product would lose digits, or underflow to 0 and
 * pull the VWAP towards 0, below the candle's low.
 */
export const MIN_PRICE = 1e-18;

/**
 * Largest accepted size: above any single trade (the largest token supplies traded in raw units
 * are ~6e14; venues list bigger ones per 1000 or per million).
 */
export const MAX_SIZE = 1e15;

/** Smallest accepted non-zero size: 1e-18, the finest unit of 18-decimal tokens (wei). */
export const MIN_SIZE = 1e-18;

// Feeds repeat a handful of symbols millions of times; normalising each once keeps the regexes
// off the hot path. Bounded so hostile input cannot grow it without limit.
const SYMBOL_CACHE_LIMIT = 4096;

/**
 * Parses and validates ticks. Reasons: `too_large`, `malformed_json` (not UTF-8, not JSON, or not
 * an object), `missing_field` (source, symbol, price, ts or id absent; symbol not a recognisable
 * pair), `bad_price` (not a number or decimal string, or outside
 * [{@linkcode MIN_PRICE}, {@linkcode MAX_PRICE}] = [1e-18, 1e12]), `bad_size` (present but not a
 * number or decimal string, or neither 0 nor within [{@linkcode MIN_SIZE}, {@linkcode MAX_SIZE}]
 * = [1e-18, 1e15]), `bad_timestamp` (unreadable — including impossible ISO dates such as
 * `2024-02-30`, `T24:00` or a leap second `:60` —, before 2009 or too far in the future),
 * `unknown_symbol` (outside the allow-list, when one is set). An unknown `side` is dropped. The
 * bounds keep every candle sum finite and every price × size a normal double (see
 * {@linkcode MAX_PRICE}, {@linkcode MIN_PRICE}).
 * Decimal strings are strict: `"0x10"`, `" 1"`, `"Infinity"` are refused, not coerced.
 *
 * @example
 * ```ts
 * import { TickParser } from "./tick_parser.ts";
 * const parser = new TickParser({ now: () => 1_700_000_000_000 });
 * const r = parser.parse('{"symbol":"btcusdt","price":"43000.5","ts":1699999999000,"id":7}', "binance");
 * // r.ok === true; r.tick.symbol === "BTC-USDT"; r.tick.id === "7"; r.tick.size === null
 * ```
 */
export class TickParser {
  readonly #allow: ReadonlySet<string> | null;
  readonly #maxBytes: number;
  readonly #maxSkew: number;
  readonly #now: (() => number) | null;
  readonly #idNumbers: boolean;
  readonly #symbols = new Map<string, string | null>();
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });
  /** Scratch for the fast paths: read at once into a tick, so one object serves every input. */
  readonly #fields: RawTickFields = {};

  constructor(options: TickParserOptions = {}) {
    this.#maxBytes = options.maxBytes ?? 4096;
    this.#maxSkew = options.maxFutureSkewMs ?? 60_000;
    this.#now = options.now ?? null;
    this.#idNumbers = options.idNumbers ?? false;
    this.#allow = options.allowList ? normaliseAll(options.allowList) : null;
  }

  /** Untrusted JSON text or bytes holding one tick object; `source` fills a missing source. */
  parse(input: string | Uint8Array, source?: string): ParseResult {
    return result(this.parseTick(input, source));
  }

  /**
   * Like {@linkcode TickParser.parse}, but returns the tick itself (or the rejection): for loops
   * over millions of lines, where a result object per tick is garbage the collector must chase.
   */
  parseTick(input: string | Uint8Array, source?: string): Tick | Rejection {
    let text: string;
    if (typeof input === "string") {
      if (exceeds(input, this.#maxBytes)) return this.#tooLarge();
      text = input;
    } else {
      if (input.byteLength > this.#maxBytes) {
        return reject(
          "too_large",
          `message of ${input.byteLength} bytes exceeds ${this.#maxBytes}`,
        );
      }
      try {
        text = this.#decoder.decode(input);
      } catch {
        return reject("malformed_json", "not valid UTF-8");
      }
    }
    // Most feed messages are flat objects the fast path reads exactly as JSON.parse would.
    const flat = parseFlatTick(text, 0, text.length, this.#fields);
    if (flat !== null) return this.#check(flat, source, parsedIdNumber());
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return reject("malformed_json", "not valid JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return reject("malformed_json", "not a JSON object");
    }
    return this.#check(value as RawTickFields, source, NOT_READ);
  }

  /**
   * {@linkcode TickParser.parseTick} of `text.slice(start, end)`, for records inside one large
   * decoded string, which the common case then never slices. The range must be pure ASCII (its
   * length is then its size in bytes).
   */
  parseTickAt(text: string, start: number, end: number, source?: string): Tick | Rejection {
    if (end - start <= this.#maxBytes) {
      const flat = parseFlatTick(text, start, end, this.#fields);
      if (flat !== null) return this.#check(flat, source, parsedIdNumber());
    }
    return this.parseTick(text.slice(start, end), source);
  }

  /**
   * The `too_large` rejection when `text` is over the message limit (in UTF-8 bytes), else null:
   * for feeds that split a message into fields themselves (a CSV line) before
   * {@linkcode TickParser.validate}.
   */
  sizeRejection(text: string): Rejection | null {
    return exceeds(text, this.#maxBytes) ? this.#tooLarge() : null;
  }

  #tooLarge(): Rejection {
    return reject("too_large", `message exceeds ${this.#maxBytes} bytes`);
  }

  /** Fields a feed already decoded → tick or rejection. */
  validate(fields: RawTickFields): ParseResult {
    if (typeof fields !== "object" || fields === null) {
      return reject("malformed_json", "not an object");
    }
    return result(this.#check(fields, undefined, NOT_READ));
  }

  // `idNum`: the fast reader's reading of the id, or NOT_READ (never from the input's own keys).
  #check(f: RawTickFields, defaultSource: string | undefined, idNum: number): Tick | Rejection {
    const source = f.source ?? defaultSource;
    if (typeof source !== "string" || source === "") return missing("source", source);
    if (RESERVED_VENUES.has(source)) {
      return reject("missing_field", `reserved venue name ${source} given as a tick's source`);
    }
    if (f.symbol === undefined || f.symbol === null) return missing("symbol", f.symbol);
    const symbol = this.#symbol(f.symbol);
    if (symbol === null) return missing("symbol", f.symbol);
    if (this.#allow !== null && !this.#allow.has(symbol)) {
      return reject("unknown_symbol", `symbol ${symbol} is not in the allow-list`);
    }
    if (f.price === undefined || f.price === null) return missing("price", f.price);
    const price = toNumber(f.price);
    if (!(price >= MIN_PRICE && price <= MAX_PRICE)) {
      return reject("bad_price", `price ${show(f.price)}`);
    }
    let size: number | null = null;
    if (f.size !== undefined && f.size !== null) {
      size = toNumber(f.size);
      if (!(size >= MIN_SIZE && size <= MAX_SIZE)) {
        if (size !== 0) return reject("bad_size", `size ${show(f.size)}`);
        size = 0; // -0 → 0, so "-0" and "0" give the same record
      }
    }
    if (f.ts === undefined || f.ts === null) return missing("ts", f.ts);
    const ts = toEpochMs(f.ts);
    if (!(ts >= MIN_EVENT_TIME_MS && ts <= this.#latest())) {
      return reject("bad_timestamp", `ts ${show(f.ts)} is unreadable or out of range`);
    }
    const id = idOf(f.id);
    if (id === null) return missing("id", f.id);
    const side = sideOf(f.side);
    if (!this.#idNumbers) {
      return side === undefined
        ? { source, symbol, price, size, ts, id }
        : { source, symbol, price, size, ts, id, side };
    }
    if (idNum === NOT_READ) idNum = numberOf(f.id, id);
    return side === undefined
      ? { source, symbol, price, size, ts, id, idNum }
      : { source, symbol, price, size, ts, id, idNum, side };
  }

  #latest(): number {
    return this.#now === null ? MAX_EVENT_TIME_MS : this.#now() + this.#maxSkew;
  }

  #symbol(raw: unknown): string | null {
    if (typeof raw !== "string") return null;
    let s = this.#symbols.get(raw);
    if (s === undefined) {
      s = normaliseSymbol(raw);
      if (this.#symbols.size >= SYMBOL_CACHE_LIMIT) this.#symbols.clear();
      this.#symbols.set(raw, s);
    }
    return s;
  }
}

function normaliseAll(list: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const s of list) out.add(normaliseSymbol(s) ?? s);
  return out;
}

function idOf(id: unknown): string | null {
  if (typeof id === "string") return id === "" ? null : id;
  if (typeof id === "number" && Number.isSafeInteger(id)) return String(id);
  return null;
}

// `integerId(id)`, where a numeric id (a safe integer, so `id` is its canonical spelling) needs
// no reading: at most 15 digits (< 1e15) and not negative.
function numberOf(raw: unknown, id: string): number {
  if (typeof raw === "number") return raw >= 0 && raw < 1e15 ? raw + 0 : -1;
  return integerId(id);
}

function sideOf(side: unknown): Side | undefined {
  if (side === "buy" || side === "sell") return side;
  if (typeof side !== "string") return undefined;
  const s = side.toLowerCase();
  return s === "buy" || s === "sell" ? s : undefined;
}

function result(r: Tick | Rejection): ParseResult {
  return isRejection(r) ? r : { ok: true, tick: r };
}

function reject(reason: RejectReason, detail: string): Rejection {
  return { ok: false, reason, detail };
}

function missing(field: string, value: unknown): Rejection {
  return reject(
    "missing_field",
    value === undefined ? `${field} is missing` : `${field} ${show(value)} is unusable`,
  );
}

function show(value: unknown): string {
  const s = typeof value === "string" ? JSON.stringify(value) : String(value);
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}

// UTF-16 length ≤ UTF-8 length ≤ 3 × UTF-16 length: only count bytes when in doubt.
function exceeds(text: string, maxBytes: number): boolean {
  return text.length > maxBytes || (text.length * 3 > maxBytes && utf8Length(text) > maxBytes);
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
