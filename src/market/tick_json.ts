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

/**
 * The tick fields of `text` (or of its range `[start, end)`) when it is a flat JSON object in the
 * fast subset; null otherwise (including invalid JSON: the caller's `JSON.parse` decides). Other
 * keys are skipped: nothing reads them. A repeated key keeps its last value, as with `JSON.parse`.
 * The range lets a caller parse records inside one large decoded string without slicing it.
 */
export function parseFlatTick(text: string, start = 0, end = text.length): RawTickFields | null {
  const n = end;
  const f: RawTickFields = {
    source: undefined,
    symbol: undefined,
    price: undefined,
    size: undefined,
    ts: undefined,
    id: undefined,
    side: undefined,
  };
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
    const c = text.charCodeAt(i);
    let value: unknown;
    if (c === 34) {
      const close = stringEnd(text, i + 1, n);
      if (close < 0) return null;
      value = detach(text.slice(i + 1, close));
      i = close + 1;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      const close = numberEnd(text, i);
      if (close < 0 || close > n) return null;
      value = numberAt(text, i, close);
      i = close;
    } else if (text.startsWith("true", i)) {
      value = true;
      i += 4;
    } else if (text.startsWith("false", i)) {
      value = false;
      i += 5;
    } else if (text.startsWith("null", i)) {
      value = null;
      i += 4;
    } else return null;
    assign(f, text, keyStart, keyEnd, value);
    i = skipWs(text, i);
    const sep = text.charCodeAt(i);
    if (sep === 125) return skipWs(text, i + 1) === n ? f : null;
    if (sep !== 44 /* , */) return null;
    i = skipWs(text, i + 1);
  }
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

// End of a JSON number at `i`: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?; -1 when malformed.
function numberEnd(text: string, i: number): number {
  let c = text.charCodeAt(i);
  if (c === 45) c = text.charCodeAt(++i);
  if (c === 48) c = text.charCodeAt(++i);
  else if (c >= 49 && c <= 57) {
    do c = text.charCodeAt(++i); while (c >= 48 && c <= 57);
  } else return -1;
  if (c === 46 /* . */) {
    c = text.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) return -1;
    do c = text.charCodeAt(++i); while (c >= 48 && c <= 57);
  }
  if (c === 101 || c === 69) {
    c = text.charCodeAt(++i);
    if (c === 43 || c === 45) c = text.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) return -1;
    do c = text.charCodeAt(++i); while (c >= 48 && c <= 57);
  }
  return i;
}

/**
 * The value of the JSON number `text[start, end)` (already validated by `numberEnd`), exactly as
 * `Number()` reads it. Fast path: at most 15 significant digits and no exponent, so the digits
 * form an integer below 2⁵³ and the scale is a power of ten up to 10¹⁵ (fewer than 16 digits
 * overall); both are exact doubles and one IEEE division rounds correctly (Clinger's fast path).
 * Anything else goes through `Number()`.
 */
function numberAt(text: string, start: number, end: number): number {
  let i = start;
  const negative = text.charCodeAt(i) === 45;
  if (negative) i++;
  let digits = 0;
  let m = 0;
  let scale = 1;
  let fraction = false;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      fraction = true;
      continue;
    }
    if (c < 48 || c > 57 || ++digits > 15) return Number(text.slice(start, end));
    m = m * 10 + (c - 48);
    if (fraction) scale *= 10;
  }
  const v = m / scale;
  return negative ? -v : v;
}

// V8 makes a slice of 13+ characters a view that keeps its whole parent alive: for a replay line
// that parent is a 1 MiB chunk, which a tick held in a candle would then pin. Shorter slices are
// copies already; longer ones are copied by going through a concatenation.
function detach(s: string): string {
  return s.length < 13 ? s : (" " + s).slice(1);
}
