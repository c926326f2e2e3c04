/**
 * The replay feed: ticks from a file, as fast as possible or at a speed factor over event time.
 *
 * Formats, chosen by extension:
 * - NDJSON (anything but `.csv`): one tick object per line with the tick fields; numbers or
 *   decimal strings; `ts` in epoch ms/µs or ISO 8601.
 * - Binance trade dump CSV (`.csv`): `id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]`,
 *   time in ms or µs, an optional header line. The symbol comes from the config or the file name
 *   (`BTCUSDT-trades-2024-01-01.csv` → `BTC-USDT`); `is_buyer_maker` true means the taker sold.
 *
 * Every line goes through the one tick parser; rejected lines become dead letters whose source
 * names the file and line, so the same file replayed twice gives the same dead letters. Lines
 * longer than `maxLineBytes` (`too_large`) and lines that are not valid UTF-8 (`malformed_json`)
 * are refused by the line reader before parsing, with their first bytes as the raw payload.
 * @module
 */
import { PipelineError } from "../errors.ts";
import type { Clock } from "../clock.ts";
import { csvSymbolFromFileName } from "./csv_symbol.ts";
import type { DeadLetter } from "../market/dead_letter.ts";
import type { Tick } from "../market/tick.ts";
import { isRejection, type Rejection, type TickParser } from "../market/tick_parser.ts";
import { DEFAULT_MAX_LINE_BYTES, type LineFault, LineReader } from "./line_reader.ts";
import type { Source, TickOutput } from "./source.ts";

/** Configuration of the replay source. */
export interface ReplayConfig {
  readonly file: string;
  /** Event-time speed factor (2 = twice real time), or `max` for no pacing. */
  readonly speed: number | "max";
  /** Symbol for CSV dumps; default derived from the file name. */
  readonly symbol?: string;
  /** Source name for CSV dumps, default `binance`. */
  readonly csvSource?: string;
  /** Longest line in bytes; longer ones are `too_large` dead letters. Default 1 MiB. */
  readonly maxLineBytes?: number;
}

/** Progress callback, for the TTY progress bar. */
export type ReplayProgress = (bytesRead: number, totalBytes: number, lines: number) => void;

/** Raised when a CSV dump's symbol cannot be known. */
export class ReplayConfigError extends PipelineError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

/** Creates the replay source. */
export function createReplay(
  config: ReplayConfig,
  deps: { clock: Clock; parser: TickParser; onProgress?: ReplayProgress },
): Source {
  return {
    name: "replay",
    run: (output, signal) => runReplay(config, deps, output, signal),
  };
}

async function runReplay(
  config: ReplayConfig,
  deps: { clock: Clock; parser: TickParser; onProgress?: ReplayProgress },
  output: TickOutput,
  signal: AbortSignal,
): Promise<void> {
  const total = (await Deno.stat(config.file)).size;
  const fileName = config.file.replace(/^.*[/\\]/, "");
  const parseLine = config.file.toLowerCase().endsWith(".csv")
    ? csvLineParser(config, fileName, deps.parser)
    : (line: string) => deps.parser.parseTick(line, "replay");
  const pacer = config.speed === "max" ? null : createPacer(config.speed, deps.clock);
  let lines = 0;
  const maxLineBytes = config.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const reader = new LineReader(config.file, { maxLineBytes, signal });
  for await (const chunk of reader) {
    if (signal.aborted) return;
    if (chunk.kind !== "lines") {
      const letter = faultLetter(chunk, maxLineBytes, fileName, deps.clock.now());
      const pending = output.deadLetter(letter);
      if (pending) await pending;
      lines = chunk.line;
      deps.onProgress?.(chunk.bytesRead, total, lines);
      continue;
    }
    for (let i = 0; i < chunk.lines.length; i++) {
      if (signal.aborted) return;
      let line = chunk.lines[i];
      // Per-line hot path: character tests instead of endsWith and trim. A line starting with a
      // printable ASCII character is not blank, so only the rare others pay for a trim.
      if (line.charCodeAt(line.length - 1) === 13 /* \r */) line = line.slice(0, -1);
      const first = line.charCodeAt(0);
      if (!(first > 32 && first < 127) && line.trim() === "") continue;
      const result = parseLine(line);
      if (result === null) continue; // CSV header
      if (!isRejection(result)) {
        if (pacer) await pacer(result.ts, signal);
        const pending = output.tick(result);
        if (pending) await pending;
      } else {
        const pending = output.deadLetter({
          reason: result.reason,
          detail: result.detail,
          raw: line,
          source: `replay:${fileName}:${chunk.firstLine + i}`,
          ts: deps.clock.now(),
        });
        if (pending) await pending;
      }
    }
    lines = chunk.firstLine + chunk.lines.length - 1;
    deps.onProgress?.(chunk.bytesRead, total, lines);
  }
}

/** The dead letter of a line the reader refused. */
function faultLetter(fault: LineFault, max: number, fileName: string, now: number): DeadLetter {
  const tooLong = fault.kind === "too_long";
  return {
    reason: tooLong ? "too_large" : "malformed_json",
    detail: tooLong
      ? `line of ${fault.byteLength} bytes exceeds the ${max}-byte line limit`
      : `not valid UTF-8 (first invalid byte at offset ${fault.badOffset})`,
    raw: fault.raw,
    source: `replay:${fileName}:${fault.line}`,
    ts: now,
  };
}

/**
 * Parses Binance dump lines; returns null for a header line (a first line of bare column names).
 * Stricter than `Number()`: the time must be decimal digits (ms or µs), since `Number()` reads
 * `0x6596A680`, `1e12`, `1.5` or an empty field (as 0) without complaint; price and quantity go
 * through the parser's decimal-string rule. A line over the parser's message limit is `too_large`,
 * as an NDJSON line would be.
 */
function csvLineParser(
  config: ReplayConfig,
  fileName: string,
  parser: TickParser,
): (line: string) => Tick | Rejection | null {
  const symbol = config.symbol ?? csvSymbolFromFileName(fileName);
  if (!symbol) {
    throw new ReplayConfigError(
      `Cannot replay ${fileName}: no symbol in the file name (like BTCUSDT-trades-2024-01-01.csv)`,
    );
  }
  const source = config.csvSource ?? "binance";
  let first = true;
  return (line) => {
    const f = line.split(",");
    if (first) {
      first = false;
      if (f.every((c) => COLUMN_NAME.test(c))) return null;
    }
    const large = parser.sizeRejection(line);
    if (large !== null) return large;
    const buyerIsMaker = f[5]?.trim().toLowerCase();
    const ts = csvTime(f[4]);
    const r = parser.validate({
      source,
      symbol,
      id: f[0]?.trim(),
      price: f[1]?.trim(),
      size: f[2]?.trim(),
      // NaN fails the time check in its turn, so the reason stays that of the first bad field.
      ts,
      side: buyerIsMaker === "true" ? "sell" : buyerIsMaker === "false" ? "buy" : undefined,
    });
    if (r.ok) return r.tick;
    if (Number.isNaN(ts) && r.reason === "bad_timestamp") {
      const detail = `time is not a decimal integer: ${JSON.stringify(f[4].trim().slice(0, 40))}`;
      return { ok: false, reason: "bad_timestamp", detail };
    }
    return r;
  };
}

const COLUMN_NAME = /^\s*[A-Za-z_]\w*\s*$/;

/**
 * The CSV time for the parser: up to 15 digits a number (exact, and cheaper to read), longer a
 * digit string (which the parser cuts exactly to ms); undefined when empty or absent; NaN when
 * not decimal digits.
 */
function csvTime(field: string | undefined): number | string | undefined {
  if (field === undefined) return undefined;
  if (field.length === 0 || !isDigits(field)) {
    field = field.trim();
    if (field === "") return undefined;
    if (!isDigits(field)) return NaN;
  }
  return field.length <= 15 ? Number(field) : field;
}

// By hand: on every CSV line, and a fraction of the cost of the regex test.
function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Waits so that event time advances `speed` times faster than processing time. */
/** The largest delay a timer honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function createPacer(
  speed: number,
  clock: Clock,
): (ts: number, signal: AbortSignal) => Promise<void> {
  let origin: { event: number; wall: number } | null = null;
  return async (ts, signal) => {
    if (!origin) origin = { event: ts, wall: clock.monotonic() };
    const due = origin.wall + (ts - origin.event) / speed;
    // In steps: a long gap at a low speed can exceed the largest timer delay (2^31 − 1 ms), which
    // a timer would treat as 1 ms.
    for (let wait = due - clock.monotonic(); wait > 1 && !signal.aborted;) {
      await clock.sleep(Math.min(wait, MAX_TIMER_MS), signal).catch(() => {});
      wait = due - clock.monotonic();
    }
  };
}
