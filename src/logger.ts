/**
 * A small structured logger: JSON lines when stderr is not a terminal, readable lines when it is.
 * Nothing in src/ or actors/ writes to the console any other way.
 * @module
 */

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** A namespaced logger. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines carry `name` as their namespace (`parent.child`). */
  child(name: string): Logger;
}

/** Where lines go; tests capture them. */
export type LogWriter = (line: string) => void;

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  level?: LogLevel;
  /** Human-readable lines instead of JSON. Default: stderr is a terminal. */
  pretty?: boolean;
  write?: LogWriter;
  name?: string;
  /** Epoch ms for the `time` field; injected in tests. */
  now?: () => number;
}

const encoder = new TextEncoder();
const stderrWriter: LogWriter = (line) => {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
};

/** Returns true when `level` is a known log level. */
export function isLogLevel(level: string): level is LogLevel {
  return level in LEVELS;
}

/**
 * Creates a logger.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const log = createLogger({ level: "info", pretty: false, write: (l) => lines.push(l) });
 * log.child("reader").info("assigned", { partition: 3 });
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const min = LEVELS[options.level ?? "info"];
  const pretty = options.pretty ?? Deno.stderr.isTerminal();
  const write = options.write ?? stderrWriter;
  const now = options.now ?? Date.now;
  const make = (name: string | undefined): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (LEVELS[level] < min) return;
      const time = now();
      write(
        pretty ? formatPretty(time, level, name, msg, fields) : JSON.stringify({
          time: new Date(time).toISOString(),
          level,
          name,
          msg,
          ...toJsonable(fields),
        }),
      );
    };
    return {
      debug: (msg, fields) => emit("debug", msg, fields),
      info: (msg, fields) => emit("info", msg, fields),
      warn: (msg, fields) => emit("warn", msg, fields),
      error: (msg, fields) => emit("error", msg, fields),
      child: (child) => make(name ? `${name}.${child}` : child),
    };
  };
  return make(options.name);
}

/** A logger that discards everything, for tests and benchmarks. */
export const silentLogger: Logger = createLogger({
  level: "error",
  write: () => {},
  pretty: false,
});

function toJsonable(fields: LogFields | undefined): LogFields {
  if (!fields) return {};
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    out[k] = v instanceof Error ? { name: v.name, message: v.message } : v;
  }
  return out;
}

function formatPretty(
  time: number,
  level: LogLevel,
  name: string | undefined,
  msg: string,
  fields: LogFields | undefined,
): string {
  const clock = new Date(time).toISOString().slice(11, 23);
  const rest = Object.entries(toJsonable(fields))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${clock} ${level.toUpperCase().padEnd(5)} ${name ? `[${name}] ` : ""}${msg}${
    rest ? " " + rest : ""
  }`;
}
