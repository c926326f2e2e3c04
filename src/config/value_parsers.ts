/**
 * Parsers for configuration values. Each returns the parsed value or throws a plain Error whose
 * message completes "invalid value for --flag: …".
 * @module
 */

/** A list of comma-separated, trimmed, non-empty items. */
export function parseList(raw: string): string[] {
  return raw.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/** `true/false/1/0/yes/no/on/off` (case-insensitive); an empty flag value means true. */
export function parseBool(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (["", "true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off"].includes(v)) return false;
  throw new Error(`expected true or false, received "${raw}"`);
}

/** An integer within [min, max]. */
export function parseInteger(raw: string, min: number, max: number): number {
  // Decimal digits only: Number() would also take 0x10, 1e3 and 0b11.
  const text = raw.trim();
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new Error(`expected an integer, received "${raw}"`);
  }
  if (n < min || n > max) throw new Error(`expected ${min}..${max}, received ${n}`);
  return n;
}

/** A finite number > 0. */
export function parsePositiveNumber(raw: string): number {
  const n = Number(raw.trim());
  if (!Number.isFinite(n) || n <= 0 || raw.trim() === "") {
    throw new Error(`expected a number > 0, received "${raw}"`);
  }
  return n;
}

/** A finite number within [min, max]. */
export function parseNumberInRange(raw: string, min: number, max: number): number {
  const n = Number(raw.trim());
  if (!Number.isFinite(n) || raw.trim() === "") {
    throw new Error(`expected a number, received "${raw}"`);
  }
  if (n < min || n > max) throw new Error(`expected ${min}..${max}, received ${raw.trim()}`);
  return n;
}

/**
 * A file path the launcher can grant to the pipeline exactly. Deno's `--allow-read=a,b` splits its
 * list on commas and has no escape for one (tested with Deno 2.9.6: `a\,b` and `a,,b` do not
 * work; the latter makes Deno exit with a Rust backtrace), so a comma in a path would grant
 * something else than the file (`a,/etc/shadow`). Line breaks and NUL have no business in a path
 * given on a command line either. Leading and trailing blanks are trimmed.
 */
export function parsePath(raw: string): string {
  const path = raw.trim();
  if (path === "") throw new Error("expected a file path, received an empty value");
  if (/[,\r\n\0]/.test(path)) {
    throw new Error(
      `a path with a comma, line break or NUL cannot be granted to the pipeline exactly ` +
        `(Deno's permission lists are comma-separated): rename it, received ${
          JSON.stringify(path)
        }`,
    );
  }
  return path;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration: `250ms`, `2s`, `5m`, `1h`, or plain milliseconds; returns milliseconds (≥ 0). */
export function parseDuration(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(raw);
  if (!m) throw new Error(`expected a duration like 500ms, 2s, 5m or 1h, received "${raw}"`);
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? "ms"]);
}

/** `host:port`, IPv6 in brackets allowed; port 0..65535. */
export function parseHostPort(raw: string): { hostname: string; port: number } {
  const m = /^\s*(\[[^\]]+\]|[^:\s]+):(\d{1,5})\s*$/.exec(raw);
  if (!m) throw new Error(`expected host:port, received "${raw}"`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`port must be 0..65535, received ${port}`);
  return { hostname: m[1].replace(/^\[|\]$/g, ""), port };
}

/** An absolute http(s)/ws(s)/postgres/redis/… URL. */
export function parseUrl(raw: string, protocols: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new Error(`expected a URL, received "${raw}"`);
  }
  if (!protocols.includes(url.protocol.replace(/:$/, ""))) {
    throw new Error(`expected a ${protocols.join(" or ")} URL, received "${url.protocol}"`);
  }
  return raw.trim();
}

/** One of `choices`. */
export function parseChoice<T extends string>(raw: string, choices: readonly T[]): T {
  const v = raw.trim() as T;
  if (!choices.includes(v)) {
    throw new Error(`expected one of ${choices.join(", ")}, received "${raw}"`);
  }
  return v;
}

/** A feed's venue name as candles carry it (a tick's source): 1–64 letters, digits, `_.-`. */
export function parseVenue(raw: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(raw)) {
    throw new Error(`expected a venue name like coinbase, received "${raw}"`);
  }
  return raw;
}

/**
 * `--analytics-venue`: venue names, `composite` allowed (`legacy` holds only stored rows from
 * before candles had a venue, so nothing new is computed on it), each once.
 */
export function parseAnalyticsVenues(raw: string): string[] {
  const venues = parseList(raw).map((v) => {
    if (v === "legacy") throw new Error("legacy cannot be an analytics venue");
    return parseVenue(v);
  });
  if (venues.length === 0) throw new Error("expected at least one venue, like composite");
  if (new Set(venues).size !== venues.length) throw new Error(`a venue is named twice in "${raw}"`);
  return venues;
}

/** A list of venue names of real feeds: `composite` and `legacy` are the candles' own. */
export function parseVenues(raw: string, what: string): string[] {
  return parseList(raw).map((v) => {
    if (v === "composite" || v === "legacy") throw new Error(`${v} cannot be ${what}`);
    return parseVenue(v);
  });
}
