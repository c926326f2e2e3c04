/**
 * A raw HTTP/1.1 client over one TCP connection, for tests that need what `fetch` hides: exact
 * bytes on the wire, a half-sent head, several requests on one connection, a server closing the
 * connection.
 * @module
 */

/** One response as read off the wire. */
export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// One character per byte, so a text index is a byte index.
const latin1 = new TextDecoder("latin1");

/** A client connection with its own read buffer. */
export class RawHttpClient {
  readonly conn: Deno.TcpConn;
  #buf = new Uint8Array(0);

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  static async connect(port: number): Promise<RawHttpClient> {
    return new RawHttpClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Writes `text` as is. */
  async send(text: string | Uint8Array): Promise<void> {
    const bytes = typeof text === "string" ? encoder.encode(text) : text;
    for (let at = 0; at < bytes.length;) at += await this.conn.write(bytes.subarray(at));
  }

  /** Sends `GET path` (or another method) with a Host header. */
  request(path: string, o: { method?: string; headers?: string } = {}): Promise<void> {
    return this.send(`${o.method ?? "GET"} ${path} HTTP/1.1\r\nHost: t\r\n${o.headers ?? ""}\r\n`);
  }

  /**
   * Reads one response; `head: true` for the answer to a HEAD request (no body whatever the
   * headers say). Null when the server closed (or reset) the connection before a status line.
   */
  async response(o: { head?: boolean } = {}): Promise<RawResponse | null> {
    const headEnd = await this.#until(() => indexOf(this.#buf, "\r\n\r\n"));
    if (headEnd < 0) return null;
    const lines = latin1.decode(this.#take(headEnd + 4)).split("\r\n");
    const status = Number(lines[0].split(" ")[1]);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1, -2)) {
      const i = line.indexOf(":");
      headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
    }
    let body = "";
    if (o.head) return { status, headers, body };
    if (headers.get("transfer-encoding") === "chunked") {
      for (
        let chunk = await this.chunk();
        chunk !== null && chunk !== "";
        chunk = await this.chunk()
      ) {
        body += chunk;
      }
    } else if (headers.has("content-length")) {
      const n = Number(headers.get("content-length"));
      await this.#until(() => (this.#buf.length >= n ? n : -1));
      body = decoder.decode(this.#take(n));
    }
    return { status, headers, body };
  }

  /** Reads one chunk of a chunked body: its text, "" for the last chunk, null at a close. */
  async chunk(): Promise<string | null> {
    const lineEnd = await this.#until(() => indexOf(this.#buf, "\r\n"));
    if (lineEnd < 0) return null;
    const size = parseInt(decoder.decode(this.#take(lineEnd + 2)), 16);
    const n = await this.#until(() => (this.#buf.length >= size + 2 ? size + 2 : -1));
    if (n < 0) return null;
    return decoder.decode(this.#take(size + 2).subarray(0, size));
  }

  /** Resolves true once the server has closed the connection (EOF or reset); discards data. */
  async closedByServer(): Promise<boolean> {
    try {
      while ((await this.conn.read(new Uint8Array(4096))) !== null) { /* discard */ }
    } catch {
      // A reset is a close too.
    }
    return true;
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Reads until `found()` is ≥ 0; returns it, or -1 when the connection ends first. */
  async #until(found: () => number): Promise<number> {
    for (let at = found(); at < 0; at = found()) {
      const chunk = new Uint8Array(65536);
      let n: number | null;
      try {
        n = await this.conn.read(chunk);
      } catch {
        n = null;
      }
      if (n === null) return -1;
      const next = new Uint8Array(this.#buf.length + n);
      next.set(this.#buf);
      next.set(chunk.subarray(0, n), this.#buf.length);
      this.#buf = next;
    }
    return found();
  }

  #take(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }
}

function indexOf(buf: Uint8Array, text: string): number {
  return latin1.decode(buf).indexOf(text);
}
