/**
 * Writing a `Response` as HTTP/1.x: how its body is framed and how its head is serialised. Pure
 * except for {@linkcode writeBody}, which pulls the body and hands bytes to a write function, so
 * the connection owns every socket operation and its timeouts.
 * @module
 */

/**
 * How a body travels:
 * - `none`: no body bytes (HEAD, 204, 304, a null body);
 * - `length`: the response set Content-Length; exactly that many bytes follow;
 * - `chunked`: a stream of unknown length to an HTTP/1.1 client, each chunk sent as it arrives;
 * - `close`: the same to an HTTP/1.0 client, which reads until the connection closes.
 *
 * Routes set Content-Length on every response they build whole, so only real streams (Server-Sent
 * Events) are chunked: Deno gives no way to tell a `Response` made from a string from one made
 * from a `ReadableStream` without reading it, and reading ahead would hold back a stream's first
 * event.
 */
export type Framing = "none" | "length" | "chunked" | "close";

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: "OK",
  204: "No Content",
  304: "Not Modified",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

// Framing is the server's job: a handler's values for these would contradict what is written.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding"]);
const encoder = new TextEncoder();
const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");

/** How `res` is framed for a request with `method` from a client speaking `version`. */
export function framingOf(res: Response, method: string, version: string): Framing {
  const status = res.status;
  if (method === "HEAD" || status === 204 || status === 304 || status < 200) return "none";
  if (res.headers.has("content-length")) return "length";
  if (res.body === null) return "length";
  return version === "HTTP/1.1" ? "chunked" : "close";
}

/** The status line and header fields of `res`, ending with the blank line. */
export function serializeHead(
  res: Response,
  o: { framing: Framing; keepAlive: boolean },
): Uint8Array {
  const reason = res.statusText || STATUS_TEXT[res.status] || "";
  let head = `HTTP/1.1 ${res.status} ${reason}\r\ndate: ${httpDate()}\r\n`;
  for (const [name, value] of res.headers) {
    if (!HOP_BY_HOP.has(name)) head += `${name}: ${value}\r\n`;
  }
  if (o.framing === "chunked") head += "transfer-encoding: chunked\r\n";
  // "length" without the header is a null body. (HEAD gets the length a GET would get only when
  // the handler set it: RFC 9110 §9.3.2 allows omitting it.)
  if (o.framing === "length" && !res.headers.has("content-length")) {
    head += "content-length: 0\r\n";
  }
  head += o.keepAlive ? "\r\n" : "connection: close\r\n\r\n";
  return encoder.encode(head);
}

/** A JSON error response with its length set, as the server answers what it cannot route. */
export function errorResponse(status: number, message: string): Response {
  const body = encoder.encode(JSON.stringify({ error: message }));
  return new Response(body, {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-length": String(body.length),
    },
  });
}

/**
 * {@linkcode errorResponse} as bytes, with `Connection: close`: for refusals written before any
 * request exists (a malformed or oversized head, a connection over the cap).
 */
export function refusal(status: number, message: string): Uint8Array {
  const body = encoder.encode(JSON.stringify({ error: message }));
  const res = new Response(null, {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-length": String(body.length),
    },
  });
  return concat(serializeHead(res, { framing: "length", keepAlive: false }), body);
}

/** What {@linkcode writeBody} needs besides the response. */
export interface BodyWriter {
  readonly framing: Framing;
  /** Writes all of `bytes` to the client; rejects when it cannot. */
  readonly write: (bytes: Uint8Array) => Promise<void>;
  /** Aborted when the client went away: the body stream is cancelled. */
  readonly signal: AbortSignal;
}

/**
 * Writes `head` and the body of `res`: a body of known length goes out with the head, so a small
 * response is one write; a stream's chunks each as soon as the body yields them. Resolves true when
 * the body was as long as announced, so the connection may carry another request. When a write
 * fails or `signal` aborts, the body stream is cancelled and the promise rejects.
 */
export async function writeBody(res: Response, head: Uint8Array, w: BodyWriter): Promise<boolean> {
  const announced = res.headers.get("content-length");
  if (w.framing === "none" || res.body === null) {
    await res.body?.cancel();
    await w.write(head);
    return w.framing === "none" || announced === null || announced === "0";
  }
  let pending: Uint8Array | null = w.framing === "length" ? head : null;
  const reader = res.body.getReader();
  const cancel = () => void reader.cancel(w.signal.reason).catch(() => {});
  w.signal.addEventListener("abort", cancel, { once: true });
  let sent = 0;
  try {
    w.signal.throwIfAborted();
    // A stream's head goes out at once: an event-stream client waits for it before any event.
    if (!pending) await w.write(head);
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      if (r.value.length === 0) continue;
      sent += r.value.length;
      const bytes = w.framing === "chunked" ? chunk(r.value) : r.value;
      await w.write(pending ? concat(pending, bytes) : bytes);
      pending = null;
    }
    w.signal.throwIfAborted();
  } catch (err) {
    await reader.cancel(err).catch(() => {});
    throw err;
  } finally {
    w.signal.removeEventListener("abort", cancel);
  }
  const tail = w.framing === "chunked" ? LAST_CHUNK : new Uint8Array(0);
  if (pending || tail.length) await w.write(pending ? concat(pending, tail) : tail);
  return w.framing === "chunked" || (w.framing === "length" && String(sent) === announced);
}

function chunk(data: Uint8Array): Uint8Array {
  return concat(encoder.encode(data.length.toString(16) + "\r\n"), data, CRLF);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

let dateSecond = -1;
let dateText = "";
/** The Date header value (RFC 9110 §6.6.1 asks origin servers with a clock to send it). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
