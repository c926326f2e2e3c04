/**
 * A scriptable WebSocket server on 127.0.0.1 (port 0) for testing feed clients: tests push
 * frames, drop connections, go silent, or refuse upgrades with an HTTP status.
 * @module
 */

/** One accepted client connection. */
export interface FakeWsConnection {
  readonly url: URL;
  /** Text frames received from the client. */
  readonly received: string[];
  send(text: string): void;
  /** Closes this connection from the server side. */
  close(code?: number, reason?: string): void;
  readonly isOpen: boolean;
}

/** Options of {@linkcode startFakeWsServer}. */
export interface FakeWsServerOptions {
  onConnect?(conn: FakeWsConnection): void;
  onMessage?(conn: FakeWsConnection, text: string): void;
}

/** A running fake WebSocket server. */
export interface FakeWsServer {
  readonly port: number;
  /** `ws://127.0.0.1:<port><path>`. */
  url(path?: string): string;
  readonly connections: FakeWsConnection[];
  /** Sends to every open connection. */
  broadcast(text: string): void;
  /** Closes every open connection (a mid-stream disconnect). */
  dropAll(code?: number): void;
  /** The next `n` upgrade requests get this HTTP status instead (e.g. 429, 503). */
  refuseNext(n: number, status: number): void;
  /** Closes every connection and stops the server. */
  close(): Promise<void>;
}

/**
 * The WebSocket side of a fake venue: upgrades requests, records each connection and the frames
 * it sends, and closes them all when the venue stops. Shared by every fake venue.
 */
export class FakeWsAcceptor {
  readonly connections: FakeWsConnection[] = [];
  readonly #options: FakeWsServerOptions;
  readonly #sockets = new Set<WebSocket>();
  readonly #closed: Promise<void>[] = [];

  constructor(options: FakeWsServerOptions = {}) {
    this.#options = options;
  }

  /** Upgrades `req` to a WebSocket connection; the connection is recorded once it opened. */
  accept(req: Request, url: URL = new URL(req.url)): Response {
    const { socket, response } = Deno.upgradeWebSocket(req);
    const received: string[] = [];
    const conn: FakeWsConnection = {
      url,
      received,
      send: (text) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(text);
      },
      close: (code = 1000, reason = "") => {
        if (socket.readyState === WebSocket.OPEN) socket.close(code, reason);
      },
      get isOpen() {
        return socket.readyState === WebSocket.OPEN;
      },
    };
    this.#sockets.add(socket);
    this.#closed.push(
      new Promise<void>((resolve) => socket.addEventListener("close", () => resolve())),
    );
    socket.addEventListener("close", () => this.#sockets.delete(socket));
    socket.onopen = () => {
      this.connections.push(conn);
      this.#options.onConnect?.(conn);
    };
    socket.onmessage = (ev) => {
      const text = typeof ev.data === "string" ? ev.data : "";
      received.push(text);
      this.#options.onMessage?.(conn, text);
    };
    return response;
  }

  /** Closes every open connection with 1001 and waits until each has closed. */
  async closeAll(reason = ""): Promise<void> {
    for (const s of this.#sockets) {
      if (s.readyState === WebSocket.OPEN) s.close(1001, reason);
    }
    await Promise.all(this.#closed);
  }
}

/** Starts a fake WebSocket server. */
export function startFakeWsServer(options: FakeWsServerOptions = {}): FakeWsServer {
  const acceptor = new FakeWsAcceptor(options);
  const connections = acceptor.connections;
  let refuse = 0;
  let refuseStatus = 503;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    if (refuse > 0) {
      refuse--;
      return new Response("refused", { status: refuseStatus });
    }
    return acceptor.accept(req);
  });
  const port = (server.addr as Deno.NetAddr).port;
  return {
    port,
    url: (path = "/") => `ws://127.0.0.1:${port}${path}`,
    connections,
    broadcast: (text) => {
      for (const c of connections) c.send(text);
    },
    dropAll: (code = 1001) => {
      for (const c of connections) c.close(code, "going away");
    },
    refuseNext: (n, status) => {
      refuse = n;
      refuseStatus = status;
    },
    close: async () => {
      await acceptor.closeAll("server stopping");
      await server.shutdown();
    },
  };
}
