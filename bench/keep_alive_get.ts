/**
 * A minimal HTTP/1.1 GET over one kept-alive TCP connection, for the latency bench's polls of
 * the read API. Why not `fetch`: paced at one poll a millisecond, Deno's `fetch` cost this
 * process ~0.57 ms of CPU a request (its runtime threads park and wake between requests), a fifth
 * of a core on a 2-core machine whose other CPU the pipeline under test needs. Handles only what
 * the pipeline's server sends: a status line, headers with `content-length`, then the body.
 * @module
 */

const CRLF2 = [13, 10, 13, 10];
const decoder = new TextDecoder();

/** One kept-alive connection that GETs a path and answers its body as text. */
export class KeepAliveGet {
  readonly #conn: Deno.TcpConn;
  readonly #request: Uint8Array;
  #buf = new Uint8Array(64 * 1024);
  #len = 0;

  private constructor(conn: Deno.TcpConn, host: string, path: string) {
    this.#conn = conn;
    this.#request = new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nhost: ${host}\r\n\r\n`);
  }

  /** Connects to `host:port`; every `get()` asks for `path`. */
  static async open(host: string, port: number, path: string): Promise<KeepAliveGet> {
    const conn = await Deno.connect({ hostname: host, port });
    conn.setNoDelay(true);
    return new KeepAliveGet(conn, `${host}:${port}`, path);
  }

  /** The body of one 200 response; throws on any other status or a closed connection. */
  async get(): Promise<string> {
    await writeAll(this.#conn, this.#request);
    let headEnd = -1;
    while ((headEnd = indexOf(this.#buf, this.#len, CRLF2)) < 0) await this.#fill();
    const head = decoder.decode(this.#buf.subarray(0, headEnd));
    const status = head.slice(9, 12);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (status !== "200" || length === null) {
      throw new Error(`unexpected response: ${head.split("\r\n")[0]} (content-length ${length})`);
    }
    const end = headEnd + 4 + Number(length[1]);
    while (this.#len < end) await this.#fill();
    const body = decoder.decode(this.#buf.subarray(headEnd + 4, end));
    this.#buf.copyWithin(0, end, this.#len);
    this.#len -= end;
    return body;
  }

  close(): void {
    this.#conn.close();
  }

  async #fill(): Promise<void> {
    if (this.#len === this.#buf.length) {
      const bigger = new Uint8Array(this.#buf.length * 2);
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    const n = await this.#conn.read(this.#buf.subarray(this.#len));
    if (n === null) throw new Error("the server closed the connection");
    this.#len += n;
  }
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

function indexOf(buf: Uint8Array, len: number, pattern: number[]): number {
  outer: for (let i = 0; i + pattern.length <= len; i++) {
    for (let j = 0; j < pattern.length; j++) if (buf[i + j] !== pattern[j]) continue outer;
    return i;
  }
  return -1;
}
