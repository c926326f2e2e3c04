/**
 * A small HTTP/1.1 server on `Deno.listen`, for the instance's endpoint, because neither server
 * Deno ships keeps the pipeline safe from its HTTP clients (measured on Deno 2.9.6):
 * - `Deno.serve` has no connection cap and no header or idle timeout (half-sent requests were held
 *   for as long as the client liked), and when accept fails with EMFILE its server ends with the
 *   error — unhandled, that exits the process;
 * - `node:http` honours `maxConnections`, `headersTimeout` and `requestTimeout`, but after one
 *   EMFILE its accept loop stops for good without an error event: the process lives on with a
 *   port that never answers again.
 *
 * Here the accept loop survives every accept error (logged once per burst, counted, retried after a
 * short backoff), connections beyond a cap are refused at once so file descriptors never pile up,
 * and each connection is bounded in head size and time (src/http/http1_connection.ts).
 * @module
 */
import type { Logger } from "../logger.ts";
import {
  type ConnectionLimits,
  Http1Connection,
  type Http1Handler,
  type Http1Observer,
} from "./http1_connection.ts";
import { refusal } from "./http1_response.ts";
import { BurstLog } from "./burst_log.ts";

export type { Http1Handler, Http1Observer, RejectReason } from "./http1_connection.ts";
export { REJECT_REASONS } from "./http1_connection.ts";

/** The limits of {@linkcode serveHttp1}, all optional; defaults in {@linkcode HTTP1_DEFAULTS}. */
export interface Http1Limits extends Partial<ConnectionLimits> {
  /** Connections served at once (default 256); more are answered 503 and closed at once. */
  readonly maxConnections?: number;
  /** How long `close()` lets responses in progress finish (default 1 s). */
  readonly closeGraceMs?: number;
}

/** Defaults of {@linkcode Http1Limits}. */
export const HTTP1_DEFAULTS: Readonly<Required<Http1Limits>> = {
  // Far below the 1,024 file descriptors a process commonly gets, leaving room for the stores.
  maxConnections: 256,
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  maxHeadBytes: 16 * 1024,
  writeTimeoutMs: 30_000,
  closeGraceMs: 1_000,
};

/** Options of {@linkcode serveHttp1}. */
export interface Http1Options extends Http1Limits {
  readonly hostname: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly observer?: Http1Observer;
  /** Receives accept failures and cap bursts (one line per burst). */
  readonly log?: Logger;
}

const ACCEPT_BACKOFF_MS = [10, 25, 50, 100, 250, 500];
const MAX_REFUSALS_IN_FLIGHT = 32;
/** A burst of accept errors or refusals ends after this long without one. */
const BURST_QUIET_MS = 5_000;
const NO_OBSERVER: Http1Observer = { rejected() {}, responded() {} };

/** A listening server. */
export interface Http1Server {
  readonly hostname: string;
  readonly port: number;
  /** Connections being served. */
  readonly connections: number;
  /** Stops accepting, ends idle and streaming connections, lets responses in progress finish. */
  close(): Promise<void>;
}

/** Listens on `hostname:port` (throws if it cannot) and serves `handler` there. */
export function serveHttp1(handler: Http1Handler, options: Http1Options): Http1Server {
  return new Listener(handler, options);
}

class Listener implements Http1Server {
  readonly hostname: string;
  readonly port: number;
  readonly #listener: Deno.TcpListener;
  readonly #handler: Http1Handler;
  readonly #limits: Required<Http1Limits>;
  readonly #observer: Http1Observer;
  readonly #origin: string;
  readonly #open = new Map<Http1Connection, Promise<void>>();
  readonly #accepting: Promise<void>;
  readonly #acceptErrors: BurstLog;
  readonly #overCap: BurstLog;
  #refusing = 0;
  #wake: (() => void) | null = null;
  #closed: Promise<void> | null = null;

  constructor(handler: Http1Handler, o: Http1Options) {
    this.#handler = handler;
    this.#limits = limitsOf(o);
    this.#observer = o.observer ?? NO_OBSERVER;
    this.#acceptErrors = new BurstLog(o.log, {
      start: "http accept failing, backing off",
      end: "http accepting again",
      quietMs: BURST_QUIET_MS,
    });
    this.#overCap = new BurstLog(o.log, {
      start: "http connection cap reached, refusing connections",
      end: "http below the connection cap again",
      quietMs: BURST_QUIET_MS,
    });
    this.#listener = Deno.listen({ hostname: o.hostname, port: o.port, transport: "tcp" });
    const addr = this.#listener.addr;
    this.hostname = addr.hostname;
    this.port = addr.port;
    this.#origin = `http://${
      addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname
    }:${addr.port}`;
    this.#accepting = this.#acceptLoop();
  }

  get connections(): number {
    return this.#open.size;
  }

  close(): Promise<void> {
    return this.#closed ??= this.#shutdown();
  }

  async #acceptLoop(): Promise<void> {
    for (let failures = 0; !this.#closed;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closed) return;
        this.#observer.rejected("accept_error");
        this.#acceptErrors.hit({ error });
        // EMFILE and its kind fail every accept until a descriptor is freed; without a pause
        // the loop would spin on the connection still queued.
        await this.#pause(ACCEPT_BACKOFF_MS[Math.min(failures++, ACCEPT_BACKOFF_MS.length - 1)]);
        continue;
      }
      failures = 0;
      this.#acceptErrors.quiet();
      try {
        this.#admit(conn);
      } catch {
        // Nothing about one connection may end the loop that accepts all the others.
        closeQuietly(conn);
      }
    }
  }

  #admit(conn: Deno.TcpConn): void {
    if (this.#open.size >= this.#limits.maxConnections) return this.#refuseOverCap(conn);
    this.#overCap.quiet();
    try {
      // Responses go out in one or two writes; Nagle's algorithm would hold the second one until
      // the client's delayed ACK (40 ms on Linux).
      conn.setNoDelay(true);
    } catch {
      // The client already left; serve() finds out.
    }
    const c = new Http1Connection(conn, this.#handler, {
      limits: this.#limits,
      observer: this.#observer,
      origin: this.#origin,
    });
    this.#open.set(c, c.serve().finally(() => this.#open.delete(c)));
  }

  #refuseOverCap(conn: Deno.TcpConn): void {
    this.#observer.rejected("cap");
    this.#overCap.hit({ maxConnections: this.#limits.maxConnections });
    // Accepting outruns the writes of the refusals: past a few in flight, each would hold a file
    // descriptor for nothing (measured: ~700 at once under a flood), so those are closed unanswered.
    if (this.#refusing >= MAX_REFUSALS_IN_FLIGHT) return closeQuietly(conn);
    this.#refusing++;
    // A fresh socket's send buffer is empty, so this short write never waits on the client.
    conn.write(OVER_CAP).catch(() => {}).finally(() => {
      this.#refusing--;
      closeQuietly(conn);
    });
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => (clearTimeout(timer), resolve());
    });
  }

  async #shutdown(): Promise<void> {
    this.#listener.close();
    this.#wake?.();
    await this.#accepting;
    for (const c of this.#open.keys()) c.shutdown();
    const all = Promise.allSettled(this.#open.values());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise((r) => (timer = setTimeout(r, this.#limits.closeGraceMs)));
    await Promise.race([all, grace]);
    clearTimeout(timer);
    for (const c of this.#open.keys()) c.forceClose();
    await all;
  }
}

const OVER_CAP = refusal(503, "too many connections, try again later");

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

function limitsOf(o: Http1Limits): Required<Http1Limits> {
  const limits = { ...HTTP1_DEFAULTS };
  for (const key of Object.keys(HTTP1_DEFAULTS) as Array<keyof Http1Limits>) {
    const value = o[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `Cannot start HTTP server: ${key} must be a positive integer, received ${value}`,
      );
    }
    limits[key] = value;
  }
  return limits;
}
