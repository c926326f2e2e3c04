/**
 * A loopback TCP proxy for outage tests: put it between a client and a server, then `cut()` every
 * connection and refuse new ones (the port stops listening, as when a server is down), `stall()`
 * all traffic (connections stay open, bytes stop), and `restore()` normal forwarding on the same
 * port.
 * @module
 */

/** Proxy state: forwarding, refusing/cutting connections, or holding all bytes. */
export type ProxyMode = "pass" | "cut" | "stall";

interface Pair {
  client: Deno.Conn;
  server: Deno.Conn | undefined;
  closed: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 forwarding to `target`.
 *
 * @example
 * ```ts ignore
 * const proxy = TcpProxy.start({ hostname: "127.0.0.1", port: 5432 });
 * proxy.cut();     // clients see resets and refused connections
 * proxy.restore(); // traffic flows again
 * await proxy.close();
 * ```
 */
export class TcpProxy {
  readonly port: number;
  #listener: Deno.Listener | undefined;
  readonly #target: { hostname: string; port: number };
  readonly #pairs = new Set<Pair>();
  #mode: ProxyMode = "pass";
  #resume: (() => void) | undefined;
  #resumed: Promise<void> = Promise.resolve();
  #accepting: Promise<void>;

  private constructor(target: { hostname: string; port: number }) {
    this.#target = target;
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#accepting = this.#acceptLoop(listener);
  }

  /** Starts a proxy listening on a free loopback port. */
  static start(target: { hostname: string; port: number }): TcpProxy {
    return new TcpProxy(target);
  }

  /** The current mode. */
  get mode(): ProxyMode {
    return this.#mode;
  }

  /** Number of proxied connections currently open. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Closes every open connection and stops listening, so new connections are refused. */
  cut(): void {
    this.#setMode("cut");
    this.#unlisten();
    for (const pair of this.#pairs) this.#closePair(pair);
  }

  /** Stops forwarding bytes; connections stay open and new ones are accepted but starve. */
  stall(): void {
    this.#setMode("stall");
  }

  /** Forwards traffic again (listening again on the same port); stalled bytes are delivered. */
  restore(): void {
    if (this.#closed) return;
    this.#setMode("pass");
    if (!this.#listener) {
      this.#listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
      this.#accepting = this.#acceptLoop(this.#listener);
    }
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.#setMode("pass");
    this.#closed = true;
    this.#unlisten();
    for (const pair of this.#pairs) this.#closePair(pair);
    await this.#accepting;
  }

  #closed = false;

  #unlisten(): void {
    try {
      this.#listener?.close();
    } catch { /* already closed */ }
    this.#listener = undefined;
  }

  #setMode(mode: ProxyMode): void {
    if (mode === "stall" && this.#mode !== "stall") {
      this.#resumed = new Promise((resolve) => (this.#resume = resolve));
    }
    if (mode !== "stall" && this.#resume) {
      this.#resume();
      this.#resume = undefined;
    }
    this.#mode = mode;
  }

  async #acceptLoop(listener: Deno.Listener): Promise<void> {
    while (true) {
      let client: Deno.Conn;
      try {
        client = await listener.accept();
      } catch {
        return;
      }
      if (this.#mode === "cut") {
        client.close();
        continue;
      }
      const pair: Pair = { client, server: undefined, closed: false };
      this.#pairs.add(pair);
      this.#connect(pair);
    }
  }

  async #connect(pair: Pair): Promise<void> {
    try {
      await this.#resumed;
      pair.server = await Deno.connect(this.#target);
    } catch {
      this.#closePair(pair);
      return;
    }
    if (pair.closed) {
      pair.server.close();
      return;
    }
    this.#pump(pair, pair.client, pair.server);
    this.#pump(pair, pair.server, pair.client);
  }

  async #pump(pair: Pair, from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      while (!pair.closed) {
        const n = await from.read(buf);
        if (n === null) break;
        await this.#resumed;
        let off = 0;
        while (off < n && !pair.closed) off += await to.write(buf.subarray(off, n));
      }
    } catch { /* the other side closed or the pair was cut */ }
    this.#closePair(pair);
  }

  #closePair(pair: Pair): void {
    this.#pairs.delete(pair);
    if (pair.closed) return;
    pair.closed = true;
    for (const conn of [pair.client, pair.server]) {
      try {
        conn?.close();
      } catch { /* already closed */ }
    }
  }
}
