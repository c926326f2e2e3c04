/**
 * The request head of HTTP/1.x (RFC 9112 §2–5): finding where it ends in a byte buffer and parsing
 * it. Pure: no I/O, so the limits of the server (size, time) are applied around it, not in it.
 * Only what a GET/HEAD server needs: no request bodies, no obsolete line folding.
 * @module
 */

/** A parsed request head. */
export interface RequestHead {
  readonly method: string;
  /** The request target as sent: origin-form (`/path?query`) or absolute-form. */
  readonly target: string;
  readonly version: "HTTP/1.0" | "HTTP/1.1";
  /** Header fields in order, names lower-cased, values without surrounding whitespace. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** True when the client may send another request on this connection. */
  readonly keepAlive: boolean;
  /** True when a body follows the head (Content-Length above 0 or any Transfer-Encoding). */
  readonly hasBody: boolean;
}

/** A head the server must refuse, with the status to answer. */
export class RequestHeadError extends Error {
  override readonly name = "RequestHeadError";
  constructor(readonly status: 400 | 505, message: string) {
    super(message);
  }
}

const LF = 0x0a;
const CR = 0x0d;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VERSION = /^HTTP\/(\d)\.(\d)$/;
// Latin-1 maps every byte to one code point, so a byte the client sent is never lost or merged
// before the checks below see it.
const latin1 = new TextDecoder("latin1");

/**
 * Returns the index just past the blank line that ends the head in `buf[0, length)`, or -1.
 * Lines end with CRLF or a bare LF (RFC 9112 §2.2 lets a server accept the latter). `from` is
 * where the previous search stopped, so a head that arrives in many reads is scanned once.
 */
export function findHeadEnd(buf: Uint8Array, length: number, from = 0): number {
  for (
    let i = buf.indexOf(LF, Math.max(0, from - 2));
    i >= 0 && i < length;
    i = buf.indexOf(LF, i + 1)
  ) {
    if (i + 1 < length && buf[i + 1] === LF) return i + 2;
    if (i + 2 < length && buf[i + 1] === CR && buf[i + 2] === LF) return i + 3;
  }
  return -1;
}

/** Parses a complete head (as delimited by {@linkcode findHeadEnd}); throws {@linkcode RequestHeadError}. */
export function parseRequestHead(bytes: Uint8Array): RequestHead {
  const lines = latin1.decode(bytes).split("\n").map((l) => l.endsWith("\r") ? l.slice(0, -1) : l);
  // RFC 9112 §2.2: a server should ignore at least one empty line before the request line.
  while (lines.length && lines[0] === "") lines.shift();
  const [method, target, version] = requestLine(lines[0] ?? "");
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    if (line === "") break;
    headers.push(headerField(line));
  }
  return { method, target, version, headers, ...framing(version, headers) };
}

function requestLine(line: string): [string, string, "HTTP/1.0" | "HTTP/1.1"] {
  const parts = line.split(" ");
  if (parts.length !== 3 || !TOKEN.test(parts[0]) || parts[1] === "") {
    throw new RequestHeadError(400, "malformed request line");
  }
  const v = VERSION.exec(parts[2]);
  if (!v) throw new RequestHeadError(400, "malformed HTTP version");
  if (v[1] !== "1") throw new RequestHeadError(505, `${parts[2]} is not supported`);
  if (!parts[1].startsWith("/") && !/^https?:\/\//i.test(parts[1])) {
    throw new RequestHeadError(400, "the request target must be a path or an absolute URL");
  }
  // HTTP/1.2+ is answered as HTTP/1.1 (RFC 9110 §6.2: same major version).
  return [parts[0], parts[1], v[2] === "0" ? "HTTP/1.0" : "HTTP/1.1"];
}

function headerField(line: string): [string, string] {
  const colon = line.indexOf(":");
  const name = colon > 0 ? line.slice(0, colon) : "";
  // Whitespace before the colon or a folded line smuggles fields past proxies (RFC 9112 §5.1).
  if (!TOKEN.test(name)) throw new RequestHeadError(400, "malformed header field");
  const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
  if (/[\0\r\n]/.test(value)) throw new RequestHeadError(400, "malformed header value");
  return [name.toLowerCase(), value];
}

function framing(
  version: RequestHead["version"],
  headers: ReadonlyArray<readonly [string, string]>,
): { keepAlive: boolean; hasBody: boolean } {
  const values = (name: string) => headers.filter(([n]) => n === name).map(([, v]) => v);
  const hosts = values("host");
  if (version === "HTTP/1.1" && hosts.length !== 1) {
    throw new RequestHeadError(400, "an HTTP/1.1 request needs exactly one Host header");
  }
  const lengths = new Set(values("content-length"));
  if (lengths.size > 1 || [...lengths].some((l) => !/^\d+$/.test(l))) {
    throw new RequestHeadError(400, "malformed Content-Length");
  }
  const hasBody = values("transfer-encoding").length > 0 || [...lengths].some((l) => Number(l) > 0);
  const tokens = values("connection").flatMap((v) => v.toLowerCase().split(",")).map((t) =>
    t.trim()
  );
  // HTTP/1.0 keep-alive is an old, loosely specified extension; one request per connection.
  const keepAlive = version === "HTTP/1.1" && !tokens.includes("close");
  return { keepAlive, hasBody };
}
