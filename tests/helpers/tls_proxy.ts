/**
 * A TLS terminator for tests: clients speak TLS to it, it forwards the plaintext to a local
 * service — ClickHouse's HTTP port becomes HTTPS, Redis becomes `rediss://`, PostgreSQL gets TLS.
 * Optionally it demands a client certificate signed by a given CA (mutual TLS).
 *
 * PostgreSQL does not start with a TLS handshake: the client first sends an 8-byte SSLRequest in
 * plaintext, the server answers `S`, and only then does TLS begin on the same connection. With
 * `postgres: true` the terminator plays that part (and refuses clients that do not ask for TLS,
 * like a server whose `pg_hba.conf` has only `hostssl` lines); the backend connection is plain.
 *
 * Built on `node:tls`: Deno's own `Deno.listenTls` can neither upgrade an accepted connection
 * (PostgreSQL) nor ask for client certificates.
 * @module
 */
import net from "node:net";
import tls from "node:tls";

/** Options of {@linkcode startTlsProxy}. */
export interface TlsProxyOptions {
  readonly target: { readonly hostname: string; readonly port: number };
  /** PEM server certificate and key. */
  readonly cert: string;
  readonly key: string;
  /** Demand a client certificate that chains to this PEM CA. */
  readonly clientCa?: string;
  /** Speak PostgreSQL's SSLRequest preamble before TLS. */
  readonly postgres?: boolean;
}

/** A running terminator. */
export interface TlsProxy {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Handshakes that failed (a client refusing the certificate, or one without its own). */
  readonly failedHandshakes: number;
  /** Connections that completed a handshake. */
  readonly secureConnections: number;
  close(): Promise<void>;
}

const SSL_REQUEST_CODE = 80877103;

/** Starts a terminator on a free loopback port. */
export async function startTlsProxy(options: TlsProxyOptions): Promise<TlsProxy> {
  const context = {
    cert: options.cert,
    key: options.key,
    ...(options.clientCa
      ? { ca: [options.clientCa], requestCert: true, rejectUnauthorized: true }
      : {}),
  };
  const sockets = new Set<net.Socket>();
  const stats = { failedHandshakes: 0, secureConnections: 0 };
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const forward = (clear: tls.TLSSocket) => {
    stats.secureConnections++;
    const upstream = net.connect(options.target.port, options.target.hostname);
    track(upstream);
    clear.pipe(upstream).pipe(clear);
    clear.on("close", () => upstream.destroy());
    upstream.on("close", () => clear.destroy());
  };
  let server: net.Server;
  if (options.postgres) {
    const secureContext = tls.createSecureContext(context);
    server = net.createServer((socket) => {
      track(socket);
      socket.once("data", (first: Uint8Array) => {
        const view = new DataView(first.buffer, first.byteOffset, first.byteLength);
        if (first.byteLength !== 8 || view.getInt32(4) !== SSL_REQUEST_CODE) {
          socket.destroy();
          return;
        }
        socket.write("S");
        const secure = new tls.TLSSocket(socket, {
          isServer: true,
          secureContext,
          ...(options.clientCa ? { requestCert: true, rejectUnauthorized: true } : {}),
        });
        track(secure);
        secure.on("secure", () => forward(secure));
        secure.on("error", () => {
          stats.failedHandshakes++;
          secure.destroy();
        });
      });
    });
  } else {
    const tlsServer = tls.createServer(context, (secure) => {
      track(secure);
      forward(secure);
    });
    tlsServer.on("tlsClientError", () => stats.failedHandshakes++);
    server = tlsServer;
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get failedHandshakes() {
      return stats.failedHandshakes;
    },
    get secureConnections() {
      return stats.secureConnections;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
