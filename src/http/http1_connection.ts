/**
 * One HTTP/1.x connection: reads request heads within their size and time limits, hands each
 * request to the handler, writes the response, and keeps the connection for the next request
 * while the client allows it. Every way a client can hold the connection — silence, a head sent
 * byte by byte, an endless head, not reading the response — ends with the socket closed, so
 * connections never pile up. Only GET/HEAD-style requests: a request with a body is answered and
 * the connection then closed, since the body is never read.
 * @module
 */
import { findHeadEnd, parseRequestHead, type RequestHead, RequestHeadError } from "./http1_head.ts";
import { errorResponse, framingOf, refusal, serializeHead, writeBody } from "./http1_response.ts";

/** Produces the response to one request. */
export type Http1Handler = (req: Request) => Response | Promise<Response>;

/** Why the server gave up on a connection (a fixed set: they label a metric). */
export type RejectReason =
  | "cap"
  | "header_timeout"
  | "head_too_large"
  | "bad_request"
  | "write_timeout"
  | "accept_error";

/** Every reason, for metrics that export each one from the start. */
export const REJECT_REASONS: readonly RejectReason[] = [
  "cap",
  "header_timeout",
  "head_too_large",
  "bad_request",
  "write_timeout",
  "accept_error",
];

/** What the server reports, for metrics. */
export interface Http1Observer {
  rejected(reason: RejectReason): void;
  /** A handler produced a response with `status` (counted whether or not it was delivered). */
  responded(status: number): void;
}

/** Per-connection limits (defaults in `HTTP1_DEFAULTS`, src/http/http1_server.ts). */
export interface ConnectionLimits {
  /**
   * The whole request head must arrive within this, counted from accept for the first request
   * and from its first byte for the next ones; else the connection is closed (default 10 s).
   */
  readonly headerTimeoutMs: number;
  /** A keep-alive connection waiting for its next request is closed after this (default 30 s). */
  readonly idleTimeoutMs: number;
  /** A larger request head is answered 431 and the connection closed (default 16 KiB). */
  readonly maxHeadBytes: number;
  /**
   * Each write must finish within this, or the client is not reading and is dropped, its
   * stream cancelled (default 30 s).
   */
  readonly writeTimeoutMs: number;
}

type Expiry = RejectReason | "idle";

/** How long a refused client may take to read the refusal before the socket is closed. */
const LINGER_MS = 1000;

/** A served connection. */
export class Http1Connection {
  readonly #conn: Deno.Conn;
  readonly #handler: Http1Handler;
  readonly #limits: ConnectionLimits;
  readonly #observer: Http1Observer;
  readonly #origin: string;
  readonly #buf: Uint8Array;
  #len = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #state: "waiting" | "handling" | "streaming" = "waiting";
  #request = new AbortController();
  #closing = false;
  #closed = false;

  constructor(
    conn: Deno.Conn,
    handler: Http1Handler,
    o: { limits: ConnectionLimits; observer: Http1Observer; origin: string },
  ) {
    this.#conn = conn;
    this.#handler = handler;
    this.#limits = o.limits;
    this.#observer = o.observer;
    this.#origin = o.origin;
    this.#buf = new Uint8Array(o.limits.maxHeadBytes);
  }

  /** Serves requests until the client leaves, a limit is hit or the connection is shut down. */
  async serve(): Promise<void> {
    try {
      for (let first = true; !this.#closing; first = false) {
        const head = await this.#nextHead(first);
        if (!head || !(await this.#respond(head))) break;
      }
    } catch {
      // A failed read or write ends the connection; there is no one left to answer.
    } finally {
      this.#close();
    }
  }

  /** Ends the connection now, unless a response is being produced: then right after it. */
  shutdown(): void {
    this.#closing = true;
    if (this.#state !== "handling") this.#close();
  }

  /** Ends the connection now, whatever it is doing. */
  forceClose(): void {
    this.#close();
  }

  async #nextHead(first: boolean): Promise<RequestHead | null> {
    this.#state = "waiting";
    // From accept, and from a keep-alive request's first byte, the whole head must arrive within
    // the header timeout; between requests the client may stay silent for the idle timeout.
    if (first || this.#len > 0) this.#arm(this.#limits.headerTimeoutMs, "header_timeout");
    else this.#arm(this.#limits.idleTimeoutMs, "idle");
    for (let scanned = 0;;) {
      const end = findHeadEnd(this.#buf, this.#len, scanned);
      if (end >= 0) return await this.#parse(end);
      if (this.#len === this.#buf.length) {
        const max = this.#limits.maxHeadBytes;
        return await this.#refuse(431, "head_too_large", `the request head exceeds ${max} bytes`);
      }
      scanned = this.#len;
      const n = await this.#conn.read(this.#buf.subarray(this.#len));
      if (n === null) return null;
      if (this.#len === 0 && !first) this.#arm(this.#limits.headerTimeoutMs, "header_timeout");
      this.#len += n;
    }
  }

  async #parse(end: number): Promise<RequestHead | null> {
    this.#disarm();
    try {
      const head = parseRequestHead(this.#buf.subarray(0, end));
      // Bytes past the head are the next pipelined request (requests here have no body).
      this.#buf.copyWithin(0, end, this.#len);
      this.#len -= end;
      return head;
    } catch (err) {
      if (!(err instanceof RequestHeadError)) throw err;
      return await this.#refuse(err.status, "bad_request", err.message);
    }
  }

  async #refuse(status: number, reason: RejectReason, message: string): Promise<null> {
    this.#disarm();
    this.#observer.rejected(reason);
    await this.#write(refusal(status, message));
    // Closing with request bytes unread makes the kernel reset the connection, which can destroy
    // the answer before the client reads it: half-close, then drain briefly (an "idle" expiry
    // ends the wait without counting anything more).
    this.#arm(LINGER_MS, "idle");
    await this.#conn.closeWrite();
    while ((await this.#conn.read(this.#buf)) !== null) { /* discard */ }
    return null;
  }

  async #respond(head: RequestHead): Promise<boolean> {
    this.#state = "handling";
    this.#request = new AbortController();
    const res = await this.#handle(head);
    this.#observer.responded(res.status);
    const framing = framingOf(res, head.method, head.version);
    // A stream ends its connection: while it is written the socket is read only to notice the
    // client leaving (see #watchClient), so a pipelined request would be lost.
    const streaming = framing === "chunked" || framing === "close";
    const keepAlive = head.keepAlive && !head.hasBody && !streaming && !this.#closing;
    const bytes = serializeHead(res, { framing, keepAlive });
    if (streaming) this.#watchClient();
    const complete = await writeBody(res, bytes, {
      framing,
      write: (b) => this.#write(b),
      signal: this.#request.signal,
    });
    return keepAlive && complete;
  }

  async #handle(head: RequestHead): Promise<Response> {
    let req: Request;
    try {
      const url = head.target.startsWith("/") ? this.#origin + head.target : head.target;
      req = new Request(url, {
        method: head.method,
        headers: head.headers as Array<[string, string]>,
        signal: this.#request.signal,
      });
    } catch (err) {
      return errorResponse(400, `bad request: ${(err as Error).message}`);
    }
    try {
      return await this.#handler(req);
    } catch (err) {
      return errorResponse(500, `internal error: ${(err as Error).message}`);
    }
  }

  /**
   * A stream may stay silent for long (Server-Sent Events between events), so waiting for a
   * write to fail would keep a departed client's stream running; a pending read sees it leave.
   */
  #watchClient(): void {
    this.#state = "streaming";
    if (this.#closing) return this.#close();
    const discard = new Uint8Array(512);
    const watch = async () => {
      try {
        while ((await this.#conn.read(discard)) !== null) { /* ignore what it sends */ }
      } catch {
        // Closed by us or reset by the client: either way the stream is over.
      }
      this.#close();
    };
    void watch();
  }

  async #write(bytes: Uint8Array): Promise<void> {
    // A client that stops reading would otherwise hold the connection (and its stream) forever.
    this.#arm(this.#limits.writeTimeoutMs, "write_timeout");
    try {
      for (let at = 0; at < bytes.length;) at += await this.#conn.write(bytes.subarray(at));
    } finally {
      this.#disarm();
    }
  }

  #arm(ms: number, expiry: Expiry): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (expiry !== "idle") this.#observer.rejected(expiry);
      this.#close();
    }, ms);
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disarm();
    this.#request.abort(new Error("the connection closed"));
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}
