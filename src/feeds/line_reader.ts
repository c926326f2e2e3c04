/**
 * Reads a file as lines in large byte chunks: the replay's hot loop, so no stream-of-strings
 * plumbing, one decode per chunk and a split. The file is untrusted, so two rules hold, and a line
 * that breaks one is reported in its place as a {@linkcode LineFault} instead of as text:
 *
 * - **Length**: a line holds at most `maxLineBytes` bytes (default 1 MiB). A longer one is not
 *   assembled: past the limit its bytes are counted and dropped up to the next `\n`, so the reader
 *   never holds more than the limit plus one chunk, whatever the input (`/dev/zero`, a 1 GB file
 *   without a newline). It becomes one `too_long` fault when it ends.
 * - **Encoding**: a line must be valid UTF-8. Decoding with replacement characters would turn
 *   `"x\xff"` and `"x\xfe"` into the same text; such a line is a `bad_utf8` fault.
 *
 * Why not a fatal `TextDecoder` per chunk: in Deno it costs ~5× the lenient one (measured: 460
 * against 65–90 µs per MiB of ASCII). A chunk's complete lines are decoded leniently in one call
 * and searched for U+FFFD instead, which for an all-Latin-1 decode (V8 keeps it one-byte) takes
 * no time at all; only when one appears (a bad byte, or a genuine U+FFFD) are that region's lines
 * checked one by one. Lines are cut at `\n` bytes before decoding, so a character split across two
 * reads is never decoded in halves: the partial last line is carried as bytes.
 * @module
 */
import { escapeInvalidUtf8, invalidUtf8Offset, utf8Prefix } from "./utf8_bytes.ts";

/** A batch of complete lines and how far into the file they reach. */
export interface LineChunk {
  readonly kind: "lines";
  /** The lines, without `\n` (a `\r` before it is kept). Empty while one long line is read. */
  readonly lines: string[];
  /** 1-based number of the first line in `lines`. */
  readonly firstLine: number;
  /** Bytes consumed so far. */
  readonly bytesRead: number;
}

/** A line that is not given as text: longer than the limit, or not valid UTF-8. */
export interface LineFault {
  readonly kind: "too_long" | "bad_utf8";
  /** 1-based line number. */
  readonly line: number;
  /** The line's size in bytes, without its `\n`. */
  readonly byteLength: number;
  /**
   * The line's first bytes as text — {@linkcode FAULT_RAW_BYTES}, or the line limit if smaller,
   * cut before a character that would not fit —: valid UTF-8 as itself, each byte of an invalid
   * sequence as `\xHH`.
   */
  readonly raw: string;
  /** `bad_utf8`: the offset of the first invalid byte in the line; `too_long`: -1. */
  readonly badOffset: number;
  /** Bytes consumed so far. */
  readonly bytesRead: number;
}

/** What the reader yields, in file order. */
export type LineRead = LineChunk | LineFault;

/** Default longest line, in bytes. */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/**
 * How much of a faulty line is kept for its dead letter: every line that could be a valid tick
 * (the tick parser's default limit is 4096 bytes) whole, and the rendering (≤ 4 characters per
 * byte) well inside the dead-letter store's 64 KiB.
 */
export const FAULT_RAW_BYTES = 4096;

/** Options of {@linkcode LineReader}. */
export interface LineReaderOptions {
  /** Read size. Default 1 MiB. */
  readonly chunkBytes?: number;
  /** Longest line in bytes (without its `\n`). Default {@linkcode DEFAULT_MAX_LINE_BYTES}. */
  readonly maxLineBytes?: number;
  /** Stops reading (before the next read) once aborted. */
  readonly signal?: AbortSignal;
}

/**
 * Yields a file's lines in chunks of about `chunkBytes`, and faults in place of bad lines. A final
 * line without `\n` counts; a UTF-8 byte-order mark at the start of the file is dropped. Every read
 * yields something (an empty chunk while one long line is read), so a consumer sees the progress
 * and can stop.
 *
 * @example
 * ```ts ignore
 * import { LineReader } from "./line_reader.ts";
 * for await (const item of new LineReader("ticks.ndjson", { maxLineBytes: 65_536 })) {
 *   if (item.kind === "lines") console.log(item.firstLine, item.lines.length);
 *   else console.log(`line ${item.line}: ${item.kind}`);
 * }
 * ```
 */
export class LineReader implements AsyncIterable<LineRead> {
  readonly #path: string;
  readonly #chunkBytes: number;
  readonly #maxLineBytes: number;
  readonly #signal: AbortSignal | undefined;
  #splitter: LineSplitter;

  constructor(path: string, options: LineReaderOptions = {}) {
    this.#path = path;
    this.#chunkBytes = options.chunkBytes ?? 1 << 20;
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#signal = options.signal;
    this.#splitter = new LineSplitter(this.#maxLineBytes); // checks the limit now, not when read
  }

  /** Bytes of the unfinished line held in memory (see {@linkcode LineSplitter.pendingBytes}). */
  get pendingBytes(): number {
    return this.#splitter.pendingBytes;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<LineRead> {
    using file = await Deno.open(this.#path, { read: true });
    const splitter = this.#splitter = new LineSplitter(this.#maxLineBytes);
    const buffer = new Uint8Array(this.#chunkBytes);
    let bytesRead = 0;
    while (!this.#signal?.aborted) {
      const n = await file.read(buffer);
      if (n === null) {
        yield* splitter.end(bytesRead);
        return;
      }
      bytesRead += n;
      yield* splitter.push(buffer.subarray(0, n), bytesRead);
    }
  }
}

/** {@linkcode LineReader} of `path`. */
export function readLines(path: string, options: LineReaderOptions = {}): LineReader {
  return new LineReader(path, options);
}

/**
 * The reader's byte-level state machine, fed chunk by chunk: chunks of any size, cut anywhere
 * (inside a character too), give the same lines and faults. It keeps no reference to a pushed
 * chunk, so the caller may reuse its buffer.
 */
export class LineSplitter {
  readonly #max: number;
  /** Bytes of a faulty line kept for its dead letter. */
  readonly #rawLimit: number;
  readonly #lenient = new TextDecoder("utf-8", { ignoreBOM: true });
  /** The unfinished line's bytes (never more than `#max`). */
  #carry: Uint8Array;
  #carryLength = 0;
  /** The unfinished line passed the limit: its first bytes, the rest only counted. */
  #skipPrefix: Uint8Array | null = null;
  #skipLength = 0;
  /** Number of the unfinished line. */
  #line = 1;
  #batch: string[] | null = null;
  #batchFirst = 0;
  #bytesRead = 0;
  #out: LineRead[] = [];

  constructor(maxLineBytes: number) {
    if (!(Number.isInteger(maxLineBytes) && maxLineBytes > 0)) {
      throw new RangeError(
        `Cannot split lines: maxLineBytes must be a positive integer, received ${maxLineBytes}`,
      );
    }
    this.#max = maxLineBytes;
    this.#rawLimit = Math.min(FAULT_RAW_BYTES, maxLineBytes);
    this.#carry = new Uint8Array(Math.min(maxLineBytes, 4096));
  }

  /**
   * Bytes of the unfinished line held in memory: never more than the limit (a line past it keeps
   * only its first bytes for the dead letter).
   */
  get pendingBytes(): number {
    return this.#carryLength + (this.#skipPrefix?.length ?? 0);
  }

  /** The lines and faults that `bytes` completes; `bytesRead` is reported with them. */
  push(bytes: Uint8Array, bytesRead: number): LineRead[] {
    this.#bytesRead = bytesRead;
    const first = bytes.indexOf(10);
    if (first < 0) {
      this.#append(bytes, 0, bytes.length);
    } else {
      this.#append(bytes, 0, first);
      this.#finishLine();
      const last = bytes.lastIndexOf(10);
      if (last > first) this.#addRegion(bytes, first + 1, last);
      this.#append(bytes, last + 1, bytes.length);
    }
    return this.#take(true);
  }

  /** The final line (one without `\n`), if any. */
  end(bytesRead: number): LineRead[] {
    this.#bytesRead = bytesRead;
    if (this.#skipPrefix !== null || this.#carryLength > 0) this.#finishLine();
    return this.#take(false);
  }

  /** Adds `bytes[start, end)` to the unfinished line, or only counts it once that is too long. */
  #append(bytes: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n === 0) return;
    if (this.#skipPrefix !== null) {
      this.#skipLength += n;
      return;
    }
    const total = this.#carryLength + n;
    if (total > this.#max) {
      const prefix = new Uint8Array(this.#rawLimit);
      const fromCarry = Math.min(this.#carryLength, prefix.length);
      prefix.set(this.#carry.subarray(0, fromCarry));
      prefix.set(bytes.subarray(start, start + prefix.length - fromCarry), fromCarry);
      this.#skipPrefix = prefix;
      this.#skipLength = total;
      this.#carryLength = 0;
      return;
    }
    if (total > this.#carry.length) {
      const grown = new Uint8Array(Math.min(this.#max, Math.max(total, this.#carry.length * 2)));
      grown.set(this.#carry.subarray(0, this.#carryLength));
      this.#carry = grown;
    }
    this.#carry.set(bytes.subarray(start, end), this.#carryLength);
    this.#carryLength = total;
  }

  /** The unfinished line is complete (a `\n` or the end of the file came). */
  #finishLine(): void {
    if (this.#skipPrefix !== null) {
      this.#fault("too_long", this.#skipLength, this.#skipPrefix, -1);
      this.#skipPrefix = null;
      this.#skipLength = 0;
      return;
    }
    const bytes = this.#carry.subarray(0, this.#carryLength);
    this.#carryLength = 0;
    let text = this.#lenient.decode(bytes);
    if (text.indexOf("\uFFFD") >= 0) {
      const bad = invalidUtf8Offset(bytes);
      if (bad >= 0) return this.#fault("bad_utf8", bytes.length, bytes, bad);
    }
    if (this.#line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.#addLines([text]);
  }

  /** Complete lines `bytes[start, end)`, separated by `\n` (the one at `end` excluded). */
  #addRegion(bytes: Uint8Array, start: number, end: number): void {
    const text = this.#lenient.decode(bytes.subarray(start, end));
    if (text.indexOf("\uFFFD") < 0) {
      const lines = text.split("\n");
      // Only a region longer than the limit (a limit below the chunk size) can hold a long line;
      // UTF-16 length ≤ UTF-8 length ≤ 3 × UTF-16 length, so count bytes only when in doubt.
      if (end - start <= this.#max || !lines.some((l) => tooLong(l, this.#max))) {
        return this.#addLines(lines);
      }
    }
    // Rare: a long line or a U+FFFD somewhere. Line by line, on the bytes.
    for (let i = start; i <= end;) {
      const j = bytes.indexOf(10, i); // ≤ end: bytes[end] is a `\n`
      const line = bytes.subarray(i, j);
      i = j + 1;
      if (line.length > this.#max) {
        this.#fault("too_long", line.length, line, -1);
        continue;
      }
      const text = this.#lenient.decode(line);
      const bad = text.indexOf("\uFFFD") < 0 ? -1 : invalidUtf8Offset(line);
      if (bad >= 0) this.#fault("bad_utf8", line.length, line, bad);
      else this.#addLines([text]);
    }
  }

  #addLines(lines: string[]): void {
    const n = lines.length;
    if (this.#batch === null) {
      this.#batch = lines;
      this.#batchFirst = this.#line;
    } else if (this.#batch.length === 1) {
      // The usual case: the line completed from the previous chunk, then this chunk's lines.
      lines.unshift(this.#batch[0]);
      this.#batch = lines;
    } else {
      for (let i = 0; i < n; i++) this.#batch.push(lines[i]);
    }
    this.#line += n;
  }

  #fault(kind: LineFault["kind"], byteLength: number, bytes: Uint8Array, badOffset: number): void {
    this.#flush();
    this.#out.push({
      kind,
      line: this.#line++,
      byteLength,
      raw: escapeInvalidUtf8(
        kind === "too_long" || bytes.length > this.#rawLimit
          ? utf8Prefix(bytes, Math.min(bytes.length, this.#rawLimit))
          : bytes,
      ),
      badOffset,
      bytesRead: this.#bytesRead,
    });
  }

  #flush(): void {
    if (this.#batch === null) return;
    this.#out.push({
      kind: "lines",
      lines: this.#batch,
      firstLine: this.#batchFirst,
      bytesRead: this.#bytesRead,
    });
    this.#batch = null;
  }

  #take(always: boolean): LineRead[] {
    this.#flush();
    const out = this.#out;
    this.#out = [];
    if (out.length === 0 && always) {
      out.push({ kind: "lines", lines: [], firstLine: this.#line, bytesRead: this.#bytesRead });
    }
    return out;
  }
}

/** Whether `line` (valid text) takes more than `max` bytes in UTF-8. */
function tooLong(line: string, max: number): boolean {
  if (line.length > max) return true;
  if (line.length * 3 <= max) return false;
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    // A surrogate pair is 4 bytes: 2 for each half.
    n += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  return n > max;
}
