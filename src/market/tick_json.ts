/**
 * A fast path for the common case of tick JSON: one flat object whose values are strings without
 * escapes, numbers, booleans or null. Why not `JSON.parse`: V8 interns every short string value it
 * parses, and tick ids and decimal-string prices are nearly all distinct, so on a long stream the
 * string table lookups cost several times the parse itself (measured: ~3 µs per 100-byte line
 * against ~0.8 µs for the same lines with repeated ids and prices).
 *
 * Anything outside that subset (escapes, nested values, any syntax error) returns null, and the
 * caller falls back to `JSON.parse`, so accepted input gives exactly `JSON.parse`'s values and
 * rejected input exactly its errors.
 * @module
 */
import type { RawTickFields } from "./tick_parser.ts";

/** {@linkcode parsedIdNumber} when the last read did not compute it: the caller reads the id. */
export const NOT_READ = -2;

/** What {@linkcode parsedIdNumber} returns (a module slot, like the readers' values below). */
let lastIdNumber = NOT_READ;

/**
 * The id of the tick the last {@linkcode parseFlatTick} accepted, as `integerId` (tick_order.ts)
 * reads it (−1: not a canonical decimal integer), computed while the id was scanned; or
 * {@linkcode NOT_READ}. Only the canonical layout computes it, the generic reader leaves it to the
 * caller. Read it right after the call: the next call replaces it.
 */
export function parsedIdNumber(): number {
  return lastIdNumber;
}

/**
 * The tick fields of `text` (or of its range `[start, end)`) when it is a flat JSON object in the
 * fast subset; null otherwise (including invalid JSON: the caller's `JSON.parse` decides). Other
 * keys are skipped: nothing reads them. A repeated key keeps its last value, as with `JSON.parse`.
 * The range lets a caller parse records inside one large decoded string without slicing it.
 * `into`, when given, receives the fields (and is returned): a caller that reads them at once can
 * reuse one object for millions of records instead of making one per record.
 */
export function parseFlatTick(
  text: string,
  start = 0,
  end = text.length,
  into?: RawTickFields,
): RawTickFields | null {
  const f = into ?? {} as RawTickFields;
  if (parseCanonicalTick(text, start, end, f)) {
    lastIdNumber = idValue;
    return f;
  }
  lastIdNumber = NOT_READ;
  // The generic reader sets only the keys present: clear what an attempt (or a reuse) left.
  f.source = undefined;
  f.symbol = undefined;
  f.price = undefined;
  f.size = undefined;
  f.ts = undefined;
  f.id = undefined;
  f.side = undefined;
  const n = end;
  // Reads past `end` (a record followed by others in one string) only happen on input that is
  // then refused: positions only grow, and acceptance needs the object to end exactly at `end`.
  let i = skipWs(text, start);
  if (i >= n || text.charCodeAt(i) !== 123 /* { */) return null;
  i = skipWs(text, i + 1);
  if (text.charCodeAt(i) === 125 /* } */) return skipWs(text, i + 1) === n ? f : null;
  while (true) {
    if (text.charCodeAt(i) !== 34 /* " */) return null;
    const keyEnd = stringEnd(text, i + 1, n);
    if (keyEnd < 0) return null;
    const keyStart = i + 1;
    i = skipWs(text, keyEnd + 1);
    if (text.charCodeAt(i) !== 58 /* : */) return null;
    i = skipWs(text, i + 1);
    let value: unknown;
    if (text.charCodeAt(i) === 34 && keyEnd - keyStart === 6) {
      // `source` and `symbol` (the six-letter keys) repeat from tick to tick: reuse the string.
      const close = stringEnd(text, i + 1, n);
      if (close < 0) return null;
      value = intern(text, i + 1, close);
      i = close + 1;
    } else if (text.startsWith("true", i)) {
      value = true;
      i += 4;
    } else if (text.startsWith("false", i)) {
      value = false;
      i += 5;
    } else {
      i = readScalar(text, i, n);
      if (i < 0 || i > n) return null;
      value = scalarValue;
    }
    assign(f, text, keyStart, keyEnd, value);
    i = skipWs(text, i);
    const sep = text.charCodeAt(i);
    if (sep === 125) return skipWs(text, i + 1) === n ? f : null;
    if (sep !== 44 /* , */) return null;
    i = skipWs(text, i + 1);
  }
}

/**
 * The layout this pipeline's own producer writes (`encodeTick`: a tick's fields in `Tick` order,
 * no whitespace), matched piece by piece: about three times faster than reading keys generically,
 * and what nearly every Kafka record holds. Any other layout returns false for the generic reader
 * (which clears what was written to `f` meanwhile). Same values as the generic reader: the pieces
 * between the values are fixed text, and the values are read by the same functions.
 */
function parseCanonicalTick(
  text: string,
  start: number,
  end: number,
  f: RawTickFields,
): boolean {
  if (!text.startsWith('{"source":"', start)) return false;
  let i = start + 11;
  let close = stringEnd(text, i, end);
  if (close < 0) return false;
  f.source = intern(text, i, close);
  if (!text.startsWith('","symbol":"', close)) return false;
  i = close + 12;
  close = stringEnd(text, i, end);
  if (close < 0) return false;
  f.symbol = intern(text, i, close);
  if (!text.startsWith('","price":', close)) return false;
  i = readScalar(text, close + 10, end);
  if (i < 0) return false;
  f.price = scalarValue;
  if (!text.startsWith(',"size":', i)) return false;
  i = readScalar(text, i + 8, end);
  if (i < 0) return false;
  f.size = scalarValue;
  if (!text.startsWith(',"ts":', i)) return false;
  i = readNumber(text, i + 6);
  if (i < 0) return false;
  f.ts = numberValue;
  if (!text.startsWith(',"id":"', i)) return false;
  i += 7;
  close = idEnd(text, i, end);
  if (close < 0) return false;
  f.id = detach(text.slice(i, close));
  f.side = undefined;
  if (text.startsWith('","side":"', close)) {
    i = close + 10;
    close = stringEnd(text, i, end);
    if (close < 0) return false;
    f.side = detach(text.slice(i, close));
  }
  // The object ends exactly at `end` (reads past it, on a range, end up here and are refused).
  return close + 2 === end && text.charCodeAt(close + 1) === 125 /* } */;
}

/** The value read by the last {@linkcode readScalar}. */
let scalarValue: number | string | null = null;

/**
 * Reads a number, a string without escapes (venues send decimals as strings: `"price":"100.24"`)
 * or null at `i`, strings ending before `end`: returns the value's end, −1 for anything else, and
 * leaves the value in `scalarValue`. Both readers read their values with it.
 */
function readScalar(text: string, i: number, end: number): number {
  const c = text.charCodeAt(i);
  // A number first: the producer's own layout, so every Kafka record.
  if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
    const next = readNumber(text, i);
    scalarValue = numberValue;
    return next;
  }
  if (c === 34 /* " */) {
    const close = stringEnd(text, i + 1, end);
    if (close < 0) return -1;
    scalarValue = detach(text.slice(i + 1, close));
    return close + 1;
  }
  if (!text.startsWith("null", i)) return -1;
  scalarValue = null;
  return i + 4;
}

// Compares the key in place: no key string is made for the fields it knows.
function assign(f: RawTickFields, text: string, start: number, end: number, value: unknown): void {
  switch (end - start) {
    case 2:
      if (text.startsWith("ts", start)) f.ts = value;
      else if (text.startsWith("id", start)) f.id = value;
      return;
    case 4:
      if (text.startsWith("size", start)) f.size = value;
      else if (text.startsWith("side", start)) f.side = value;
      return;
    case 5:
      if (text.startsWith("price", start)) f.price = value;
      return;
    case 6:
      if (text.startsWith("source", start)) f.source = value;
      else if (text.startsWith("symbol", start)) f.symbol = value;
  }
}

// JSON whitespace only: space, tab, line feed, carriage return.
function skipWs(text: string, i: number): number {
  let c = text.charCodeAt(i);
  while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++i);
  return i;
}

// Index of the closing quote of a string starting at `i`, before `n`; -1 for an escape or a
// control character (escapes go to JSON.parse; control characters are invalid JSON).
function stringEnd(text: string, i: number, n: number): number {
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) return i;
    if (c === 92 /* \ */ || c < 32) return -1;
  }
  return -1;
}

/** The id's value read by the last {@linkcode idEnd}, as `integerId` would give it. */
let idValue = -1;

/**
 * {@linkcode stringEnd} for an id, which also reads it as a number into `idValue`, as
 * `integerId` (tick_order.ts) does: a canonical decimal integer (no leading zero, at most 15
 * digits, so exact in a double), else −1. One pass over characters the scan loads anyway.
 */
function idEnd(text: string, i: number, n: number): number {
  const start = i;
  let value = 0;
  let digits = true;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) break;
    if (c === 92 /* \ */ || c < 32) return -1;
    if (c >= 48 && c <= 57) value = value * 10 + (c - 48);
    else digits = false;
  }
  if (i >= n) return -1;
  const len = i - start;
  idValue = digits && len > 0 && len <= 15 && (len === 1 || text.charCodeAt(start) !== 48)
    ? value
    : -1;
  return i;
}

/** The value read by the last {@linkcode readNumber} (a module slot: no object per number). */
let numberValue = 0;

/**
 * Reads the JSON number `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?` at `i`: returns its end (−1 when
 * malformed) and leaves its value in `numberValue`, exactly as `Number()` reads it. Fast path: at
 * most 15 digits and no exponent, so the digits form an integer below 2⁵³ and the scale is a power
 * of ten up to 10¹⁵; both are exact doubles and one IEEE division rounds correctly (Clinger's fast
 * path). Anything else goes through `Number()`.
 */
function readNumber(text: string, i: number): number {
  const start = i;
  let c = text.charCodeAt(i);
  const negative = c === 45;
  if (negative) c = text.charCodeAt(++i);
  let m = 0;
  let digits = 0;
  let scale = 1;
  if (c === 48) {
    digits = 1;
    c = text.charCodeAt(++i);
  } else if (c >= 49 && c <= 57) {
    do {
      m = m * 10 + (c - 48);
      digits++;
      c = text.charCodeAt(++i);
    } while (c >= 48 && c <= 57);
  } else return -1;
  if (c === 46 /* . */) {
    c = text.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) return -1;
    do {
      m = m * 10 + (c - 48);
      digits++;
      scale *= 10;
      c = text.charCodeAt(++i);
    } while (c >= 48 && c <= 57);
  }
  let exact = digits <= 15;
  if (c === 101 || c === 69) {
    c = text.charCodeAt(++i);
    if (c === 43 || c === 45) c = text.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) return -1;
    do c = text.charCodeAt(++i); while (c >= 48 && c <= 57);
    exact = false;
  }
  if (exact) {
    const v = m / scale;
    numberValue = negative ? -v : v;
  } else numberValue = Number(text.slice(start, i));
  return i;
}

/** Recently read strings, by a hash of their characters. */
const interned: (string | undefined)[] = new Array(512);

/** `text[a, b)` as a string, the same object as last time when it repeats (no allocation). */
function intern(text: string, a: number, b: number): string {
  const len = b - a;
  const h = (len * 31 + text.charCodeAt(a) * 7 + text.charCodeAt(b - 1) * 13 +
    text.charCodeAt(a + (len >> 1))) & 511;
  const s = interned[h];
  if (s !== undefined && s.length === len && text.startsWith(s, a)) return s;
  return interned[h] = detach(text.slice(a, b));
}

// V8 makes a slice of 13+ characters a view that keeps its whole parent alive: for a replay line
// that parent is a 1 MiB chunk, which a tick held in a candle would then pin. Shorter slices are
// copies already; longer ones are copied by going through a concatenation.
function detach(s: string): string {
  return s.length < 13 ? s : (" " + s).slice(1);
}
