/**
 * A Kafka-protocol proxy in front of librdkafka's mock cluster, adding what the mock lacks: TLS and
 * SASL. librdkafka's mock (2.0.2, and still its current source) has no SaslHandshake or
 * SaslAuthenticate handler and no TLS listener, so a client configured for a managed Kafka could
 * not even connect to it.
 *
 * One listener per mock broker. Each client connection:
 * - speaks TLS to the proxy when `tls` is given (optionally demanding a client certificate);
 * - with `sasl`, must authenticate first: ApiVersions is forwarded (and its answer lists
 *   SaslHandshake v0-1 and SaslAuthenticate v0-1), SaslHandshake and SaslAuthenticate are answered
 *   here (PLAIN or SCRAM-SHA-256/512, tests/helpers/sasl_server.ts), anything else before success
 *   closes the connection, as a broker does; a failed authentication is answered with error 58
 *   (SASL_AUTHENTICATION_FAILED) and the connection closed;
 * - then forwards requests to its broker, rewriting the broker addresses in Metadata (v0-8) and
 *   FindCoordinator (v0-2) answers to the proxy's own listeners: otherwise a client would follow
 *   the mock's advertised addresses around the proxy, in plaintext.
 * Responses go back in request order, whether answered here or by the broker.
 * @module
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import tls from "node:tls";
import { type SaslExchange, saslExchange, type SaslMechanismName } from "./sasl_server.ts";

/** Options of {@linkcode startKafkaProxy}. */
export interface KafkaProxyOptions {
  /** The mock's brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** PEM server certificate and key; `clientCa` demands client certificates (mutual TLS). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly clientCa?: string };
  /** Mechanisms offered and the users (name → password) they accept. */
  readonly sasl?: {
    readonly mechanisms: readonly SaslMechanismName[];
    readonly users: Readonly<Record<string, string>>;
  };
}

/** A running proxy. */
export interface KafkaProxy {
  /** Its listeners, `127.0.0.1:port`, one per mock broker, in the same order. */
  readonly brokers: readonly string[];
  /** Successful authentications per `MECHANISM user`. */
  readonly authenticated: ReadonlyMap<string, number>;
  /** Failed authentications and requests refused before authentication. */
  readonly refused: number;
  close(): Promise<void>;
}

const API = { metadata: 3, findCoordinator: 10, saslHandshake: 17, apiVersions: 18, saslAuth: 36 };
const SASL_AUTHENTICATION_FAILED = 58;
const UNSUPPORTED_SASL_MECHANISM = 33;

interface Pending {
  correlationId: number;
  apiKey: number;
  version: number;
  response?: Buffer;
  closeAfter?: boolean;
}

/** Starts the proxy: one listener on 127.0.0.1 per mock broker. */
export async function startKafkaProxy(options: KafkaProxyOptions): Promise<KafkaProxy> {
  const sockets = new Set<net.Socket>();
  const authenticated = new Map<string, number>();
  const stats = { refused: 0 };
  const advertised = new Map<string, number>();
  const servers: net.Server[] = [];
  for (const broker of options.brokers) {
    const onClient = (client: net.Socket) => {
      sockets.add(client);
      client.on("close", () => sockets.delete(client));
      const hooks = {
        advertised,
        authenticated: (key: string) => authenticated.set(key, (authenticated.get(key) ?? 0) + 1),
        refused: () => stats.refused++,
        track: (s: net.Socket) => (sockets.add(s), s.on("close", () => sockets.delete(s))),
      };
      proxyConnection(client, broker, options, hooks);
    };
    const server = options.tls
      ? tls.createServer({
        cert: options.tls.cert,
        key: options.tls.key,
        ...(options.tls.clientCa
          ? { ca: [options.tls.clientCa], requestCert: true, rejectUnauthorized: true }
          : {}),
      }, onClient)
      : net.createServer(onClient);
    server.on("tlsClientError", () => stats.refused++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    advertised.set(broker, (server.address() as net.AddressInfo).port);
    servers.push(server);
  }
  return {
    brokers: options.brokers.map((b) => `127.0.0.1:${advertised.get(b)}`),
    authenticated,
    get refused() {
      return stats.refused;
    },
    close: async () => {
      const closed = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      for (const socket of sockets) socket.destroy();
      await Promise.all(closed);
    },
  };
}

interface Hooks {
  readonly advertised: ReadonlyMap<string, number>;
  authenticated(key: string): void;
  refused(): void;
  track(socket: net.Socket): void;
}

function proxyConnection(
  client: net.Socket,
  broker: string,
  options: KafkaProxyOptions,
  hooks: Hooks,
) {
  const [host, port] = [
    broker.slice(0, broker.lastIndexOf(":")),
    Number(broker.slice(broker.lastIndexOf(":") + 1)),
  ];
  const upstream = net.connect(port, host);
  hooks.track(upstream);
  const pending: Pending[] = [];
  const sasl = options.sasl;
  let authenticated = sasl === undefined;
  let mechanism: SaslMechanismName | undefined;
  let exchange: SaslExchange | undefined;
  const end = () => (client.destroy(), upstream.destroy());
  client.on("error", end);
  upstream.on("error", end);
  client.on("close", end);
  upstream.on("close", end);

  const flush = () => {
    while (pending.length && pending[0].response) {
      const done = pending.shift()!;
      client.write(done.response!);
      if (done.closeAfter) {
        client.end();
        return;
      }
    }
  };
  const answer = (entry: Pending, body: Buffer, closeAfter = false) => {
    const frame = Buffer.alloc(8);
    frame.writeInt32BE(body.length + 4, 0);
    frame.writeInt32BE(entry.correlationId, 4);
    entry.response = Buffer.concat([frame, body]);
    entry.closeAfter = closeAfter;
    flush();
  };

  frames(client, (frame) => {
    const entry: Pending = {
      apiKey: frame.readInt16BE(0),
      version: frame.readInt16BE(2),
      correlationId: frame.readInt32BE(4),
    };
    pending.push(entry);
    const body = new Reader(frame, 8);
    body.nullableString(); // client id
    if (sasl && entry.apiKey === API.saslHandshake) {
      const wanted = body.string() as SaslMechanismName;
      const offered = sasl.mechanisms.includes(wanted);
      if (offered) mechanism = wanted;
      const out = new Writer().int16(offered ? 0 : UNSUPPORTED_SASL_MECHANISM);
      out.int32(sasl.mechanisms.length);
      for (const m of sasl.mechanisms) out.string(m);
      answer(entry, out.done());
      return;
    }
    if (sasl && entry.apiKey === API.saslAuth && mechanism) {
      exchange ??= saslExchange(mechanism, sasl.users);
      const step = exchange.step(body.bytes());
      const out = new Writer();
      if (step.kind === "failed") {
        hooks.refused();
        out.int16(SASL_AUTHENTICATION_FAILED).string(step.reason).bytes(new Uint8Array());
      } else {
        out.int16(0).nullableString(null);
        out.bytes(step.kind === "continue" ? step.challenge : step.final);
      }
      if (entry.version >= 1) out.int64Zero();
      if (step.kind === "done") {
        authenticated = true;
        hooks.authenticated(`${mechanism} ${step.user}`);
      }
      answer(entry, out.done(), step.kind === "failed");
      return;
    }
    if (!authenticated && entry.apiKey !== API.apiVersions) {
      hooks.refused();
      end();
      return;
    }
    const header = Buffer.alloc(4);
    header.writeInt32BE(frame.length, 0);
    upstream.write(Buffer.concat([header, frame]));
  });

  frames(upstream, (frame) => {
    const correlationId = frame.readInt32BE(0);
    const entry = pending.find((p) => !p.response && p.correlationId === correlationId);
    if (!entry) {
      end();
      return;
    }
    answer(entry, rewrite(entry, frame.subarray(4), hooks.advertised, sasl !== undefined));
  });
}

/** Calls `onFrame` with each size-prefixed frame's content. */
function frames(socket: net.Socket, onFrame: (frame: Buffer) => void) {
  let buffered = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const size = buffered.readInt32BE(0);
      onFrame(buffered.subarray(4, 4 + size));
      buffered = buffered.subarray(4 + size);
    }
  });
}

/** A response body with the proxy's addresses (and, with SASL, the SASL APIs) in it. */
function rewrite(
  entry: Pending,
  body: Buffer,
  advertised: ReadonlyMap<string, number>,
  sasl: boolean,
) {
  const { apiKey, version } = entry;
  if (apiKey === API.apiVersions && sasl && version <= 2) return withSaslApis(body);
  const out = new Writer();
  const r = new Reader(body, 0);
  const address = () => {
    const host = r.string();
    const port = r.int32();
    const mapped = advertised.get(`${host}:${port}`);
    out.string(mapped === undefined ? host : "127.0.0.1").int32(mapped ?? port);
  };
  if (apiKey === API.metadata && version <= 8) {
    if (version >= 3) out.int32(r.int32());
    const count = r.int32();
    out.int32(count);
    for (let i = 0; i < count; i++) {
      out.int32(r.int32());
      address();
      if (version >= 1) out.nullableString(r.nullableString());
    }
    return Buffer.concat([out.done(), r.rest()]);
  }
  if (apiKey === API.findCoordinator && version <= 2) {
    if (version >= 1) out.int32(r.int32());
    out.int16(r.int16());
    if (version >= 1) out.nullableString(r.nullableString());
    out.int32(r.int32());
    address();
    return Buffer.concat([out.done(), r.rest()]);
  }
  if (apiKey === API.metadata || apiKey === API.findCoordinator) {
    throw new Error(`kafka_proxy: cannot rewrite api ${apiKey} v${version}`);
  }
  return body;
}

function withSaslApis(body: Buffer): Buffer {
  const r = new Reader(body, 0);
  const error = r.int16();
  const count = r.int32();
  const entries: [number, number, number][] = [];
  for (let i = 0; i < count; i++) entries.push([r.int16(), r.int16(), r.int16()]);
  for (const key of [API.saslHandshake, API.saslAuth]) {
    if (!entries.some(([k]) => k === key)) entries.push([key, 0, 1]);
  }
  const out = new Writer().int16(error).int32(entries.length);
  for (const [k, min, max] of entries) out.int16(k).int16(min).int16(max);
  return Buffer.concat([out.done(), r.rest()]);
}

class Reader {
  constructor(readonly buf: Buffer, public at: number) {}
  int16() {
    return (this.at += 2, this.buf.readInt16BE(this.at - 2));
  }
  int32() {
    return (this.at += 4, this.buf.readInt32BE(this.at - 4));
  }
  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    return (this.at += n, this.buf.toString("utf8", this.at - n, this.at));
  }
  string(): string {
    return this.nullableString() ?? "";
  }
  bytes(): Uint8Array {
    const n = this.int32();
    return (this.at += Math.max(n, 0), this.buf.subarray(this.at - Math.max(n, 0), this.at));
  }
  rest(): Buffer {
    return this.buf.subarray(this.at);
  }
}

class Writer {
  #parts: Buffer[] = [];
  int16(v: number) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    return (this.#parts.push(b), this);
  }
  int32(v: number) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return (this.#parts.push(b), this);
  }
  int64Zero() {
    return (this.#parts.push(Buffer.alloc(8)), this);
  }
  nullableString(s: string | null) {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, "utf8");
    return (this.int16(b.length), this.#parts.push(b), this);
  }
  string(s: string) {
    return this.nullableString(s);
  }
  bytes(b: Uint8Array) {
    return (this.int32(b.length), this.#parts.push(Buffer.from(b)), this);
  }
  done(): Buffer {
    return Buffer.concat(this.#parts);
  }
}
