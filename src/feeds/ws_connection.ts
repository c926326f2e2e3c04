/**
 * A reconnecting WebSocket client loop: backoff with jitter and a cap, an optional connection
 * budget, a connect timeout, an idle timeout that forces a reconnect, a planned reconnect before a
 * venue's maximum connection age, and in-order frame handling that awaits the handler
 * (backpressure). Protocol ping frames are answered by the runtime's WebSocket.
 *
 * A planned reconnect (the connection's maximum age, or a venue announcing a shutdown) is
 * make-before-break: the next connection is opened while the old one is still read, and the old
 * one is closed only once the next one delivered its first frame. Venues keep sending on the old
 * connection after announcing its end (Binance's `serverShutdown`), and the same trade may arrive
 * on both during the overlap: the feeds' recent-id memory drops the repeats, so every trade is
 * delivered once and none falls into a gap between connections.
 * @module
 */
import type { Clock, TimerHandle } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { Backoff, ConnectBudget } from "../connectors/backoff.ts";
import type { FeedMetrics } from "./feed_metrics.ts";

/** The open connection, as a frame handler sees it. */
export interface WsConnection {
  /** Sends a text frame. */
  send(text: string): void;
  /**
   * Drops this connection; the loop reconnects after the backoff (or at once when `planned`,
   * e.g. a venue announcing a shutdown). Unplanned reasons count as feed errors of `kind`.
   */
  reconnect(kind: string, planned?: boolean): void;
  /** Ends the loop: {@linkcode runWebSocketLoop} resolves with `result`. */
  finish(result: string): void;
}

/** Options of {@linkcode runWebSocketLoop}. */
export interface WsLoopOptions {
  readonly url: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: FeedMetrics;
  readonly backoff: Backoff;
  /** Limits connection attempts per window (venues that ban reconnect storms). */
  readonly budget?: ConnectBudget;
  /** No frame for this long forces a reconnect, ms. */
  readonly idleTimeoutMs: number;
  /** Opening handshake bound, ms. */
  readonly connectTimeoutMs: number;
  /** Reconnect (planned, no backoff) when a connection reaches this age, ms; 0 = never. */
  readonly maxConnectionAgeMs: number;
  /** A connection that lived this long resets the backoff, ms. */
  readonly stableAfterMs: number;
  /** Frames waiting for a slow handler beyond this force a reconnect (counted as `overflow`). */
  readonly maxQueuedFrames: number;
  /**
   * How long to wait for the closing handshake before moving on, ms. A dead network (the usual
   * cause of an idle timeout) never answers it. Default 5000.
   */
  readonly closeTimeoutMs?: number;
  /**
   * Give up after this many attempts in a row that never opened: the loop resolves with
   * `"connect_failed"` (a caller with a fallback uses it). Default: never give up.
   */
  readonly maxConnectFailures?: number;
  /** Called once per connection when it opens (subscribe here). */
  onOpen?(conn: WsConnection): void;
  /** Called for each text frame, in order; a returned promise is awaited before the next. */
  onFrame(text: string, conn: WsConnection): void | Promise<void>;
}

type Outcome =
  | { kind: "aborted" }
  | { kind: "finished"; result: string }
  | { kind: "fatal"; error: unknown }
  | { kind: "failed"; error: string; planned: boolean; openedAt?: number };

/** How a connection's wait ended: it ended, or it asked to be replaced (still reading). */
type Turn = { readonly ended: Outcome } | { readonly replace: string };

/**
 * Runs connections until `signal` aborts (resolves undefined) or a handler calls `finish`
 * (resolves its result). Rejects only when the frame handler throws (e.g. the output failed).
 */
export async function runWebSocketLoop(
  o: WsLoopOptions,
  signal: AbortSignal,
): Promise<string | undefined> {
  let first = true;
  let planned = false;
  let failures = 0;
  /** A connection already open, handed over by a planned reconnect. */
  let next: WsSession | null = null;
  /** The reconnect was counted already (a hand-over that found no successor). */
  let counted = false;
  while (!signal.aborted) {
    let session: WsSession;
    if (next !== null) {
      session = next;
      next = null;
    } else {
      if (!first) {
        if (!counted) o.metrics.reconnect();
        counted = false;
        let delay = planned ? 0 : o.backoff.next();
        if (o.budget) delay = Math.max(delay, o.budget.waitMs(o.clock.now()));
        o.logger.info("reconnecting", { url: redact(o.url), delayMs: delay });
        if (delay > 0) {
          try {
            await o.clock.sleep(delay, signal);
          } catch {
            return undefined;
          }
        }
      }
      first = false;
      session = open(o, signal);
    }
    const turn: Turn = await Promise.race([
      session.done.then((ended) => ({ ended })),
      session.replaceRequested.then((replace) => ({ replace })),
    ]);
    if ("replace" in turn) {
      o.metrics.reconnect();
      next = await handOver(o, session, turn.replace, signal);
      if (session.openedFor() >= o.stableAfterMs) o.backoff.reset();
      // No successor (the old one closed first, or every attempt failed): reconnect at once.
      planned = true;
      counted = next === null;
      continue;
    }
    const out = turn.ended;
    if (out.kind === "aborted") return undefined;
    if (out.kind === "finished") return out.result;
    if (out.kind === "fatal") throw out.error;
    planned = out.planned;
    if (!planned) o.metrics.error(out.error);
    failures = out.openedAt === undefined ? failures + 1 : 0;
    if (failures >= (o.maxConnectFailures ?? Infinity)) return "connect_failed";
    if (out.openedAt !== undefined && o.clock.now() - out.openedAt >= o.stableAfterMs) {
      o.backoff.reset();
    }
    const fields = { url: redact(o.url), reason: out.error, planned };
    if (planned) o.logger.info("connection ended", fields);
    else o.logger.warn("connection ended", fields);
  }
  return undefined;
}

/**
 * Make-before-break: opens connections until one delivers a frame while `old` is still read,
 * then closes `old`. Returns the successor, or null when there is none (`old` closed before any
 * successor delivered and none is connecting, or the loop was aborted).
 */
async function handOver(
  o: WsLoopOptions,
  old: WsSession,
  reason: string,
  signal: AbortSignal,
): Promise<WsSession | null> {
  o.logger.info("planned reconnect: opening the next connection before closing this one", {
    url: redact(o.url),
    reason,
  });
  while (!signal.aborted) {
    if (o.budget) {
      const wait = o.budget.waitMs(o.clock.now());
      if (wait > 0 && await sleepWhileOpen(o, old, wait, signal) !== "slept") break;
    }
    const next = open(o, signal);
    const first = await Promise.race([
      next.delivered.then(() => "next" as const),
      next.done.then(() => "next_ended" as const),
      old.done.then(() => "old_ended" as const),
    ]);
    if (first === "next") {
      old.end("replaced");
      await old.done;
      o.logger.info("handed over to the next connection", { url: redact(o.url), reason });
      return next;
    }
    // The old connection is gone: the successor, still connecting, takes over as is.
    if (first === "old_ended") {
      if (!signal.aborted) return next;
      await next.done;
      return null;
    }
    const out = await next.done;
    if (out.kind === "aborted") break;
    o.metrics.error(out.kind === "failed" ? out.error : "connect_failed");
    o.logger.warn("the next connection failed while the old one still reads; trying again", {
      url: redact(o.url),
      reason: out.kind === "failed" ? out.error : out.kind,
    });
    if (await sleepWhileOpen(o, old, o.backoff.next(), signal) !== "slept") break;
  }
  old.end("replaced");
  await old.done;
  return null;
}

/** Sleeps `ms` unless `session` ends or the loop is aborted first. */
async function sleepWhileOpen(
  o: WsLoopOptions,
  session: WsSession,
  ms: number,
  signal: AbortSignal,
): Promise<"slept" | "ended" | "aborted"> {
  return await Promise.race([
    o.clock.sleep(ms, signal).then(() => "slept" as const, () => "aborted" as const),
    session.done.then(() => "ended" as const),
  ]);
}

function open(o: WsLoopOptions, signal: AbortSignal): WsSession {
  o.budget?.record(o.clock.now());
  return new WsSession(o, signal);
}

const decoder = new TextDecoder();

/**
 * One connection's life: timers, the in-order frame queue and how it ended. It resolves once the
 * socket is closed (or the closing handshake timed out) and the queue is drained.
 */
class WsSession {
  /** Resolves once the connection is closed and its frames are handled. */
  readonly done: Promise<Outcome>;
  /** Resolves (once) when a planned reconnect is asked for: the connection still reads. */
  readonly replaceRequested: Promise<string>;
  /** Resolves when the first frame arrived. */
  readonly delivered: Promise<void>;
  readonly #o: WsLoopOptions;
  readonly #ws: WebSocket | null;
  readonly #signal: AbortSignal;
  readonly #resolve: (o: Outcome) => void;
  readonly #replace = Promise.withResolvers<string>();
  readonly #delivered = Promise.withResolvers<void>();
  #replaceAsked = false;
  readonly #timers = new Set<TimerHandle>();
  readonly #queue: string[] = [];
  readonly #conn: WsConnection;
  #head = 0;
  #outcome: Outcome | undefined;
  #openedAt: number | undefined;
  #closed = false;
  #pumping = false;
  #lastFrameAt: number;

  constructor(o: WsLoopOptions, signal: AbortSignal) {
    this.#o = o;
    this.#signal = signal;
    const done = Promise.withResolvers<Outcome>();
    this.done = done.promise;
    this.#resolve = done.resolve;
    this.replaceRequested = this.#replace.promise;
    this.delivered = this.#delivered.promise;
    this.#lastFrameAt = o.clock.now();
    this.#conn = {
      send: (text) => {
        if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(text);
      },
      reconnect: (kind, planned = false) => {
        if (planned) this.#askReplace(kind);
        else this.#end(this.#failed(kind));
      },
      finish: (result) => this.#end({ kind: "finished", result }),
    };
    let ws: WebSocket;
    try {
      ws = new WebSocket(o.url);
    } catch (error) {
      this.#ws = null;
      this.#closed = true;
      this.#end({ kind: "fatal", error });
      return;
    }
    this.#ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => this.#onOpen();
    ws.onmessage = (ev: MessageEvent) => this.#onMessage(ev);
    ws.onerror = (ev: Event) =>
      o.logger.warn("websocket error", {
        url: redact(o.url),
        message: (ev as ErrorEvent).message ?? "error",
      });
    ws.onclose = (ev: CloseEvent) => this.#onClose(ev);
    signal.addEventListener("abort", this.#onAbort, { once: true });
    this.#timer(() => {
      if (this.#openedAt === undefined) this.#end(this.#failed("connect_timeout"));
    }, o.connectTimeoutMs);
  }

  readonly #onAbort = () => this.#end({ kind: "aborted" });

  /** Closes the connection as planned (it was replaced). */
  end(reason: string): void {
    this.#end(this.#failed(reason, true));
  }

  /** How long the connection has been open, ms (0 if it never opened). */
  openedFor(): number {
    return this.#openedAt === undefined ? 0 : this.#o.clock.now() - this.#openedAt;
  }

  /**
   * A planned reconnect: the loop opens the next connection while this one keeps reading. Only
   * an open connection is replaced that way; one not yet open just ends.
   */
  #askReplace(kind: string): void {
    if (this.#outcome) return;
    if (this.#openedAt === undefined) return this.#end(this.#failed(kind, true));
    if (this.#replaceAsked) return;
    this.#replaceAsked = true;
    this.#replace.resolve(kind);
  }

  #timer(fn: () => void, ms: number): void {
    const h: TimerHandle = this.#o.clock.setTimeout(() => {
      this.#timers.delete(h);
      fn();
    }, ms);
    this.#timers.add(h);
  }

  #clearTimers(): void {
    for (const h of this.#timers) this.#o.clock.clearTimeout(h);
    this.#timers.clear();
  }

  #failed(error: string, planned = false): Outcome {
    return { kind: "failed", error, planned, openedAt: this.#openedAt };
  }

  #settle(): void {
    if (this.#closed && !this.#pumping && this.#outcome) this.#resolve(this.#outcome);
  }

  /** The one place a connection's outcome is decided; the first decision wins. */
  #end(out: Outcome): void {
    if (this.#outcome) return;
    this.#outcome = out;
    this.#clearTimers();
    this.#signal.removeEventListener("abort", this.#onAbort);
    if (out.kind === "aborted") this.#queue.length = this.#head = 0;
    const ws = this.#ws;
    if (ws && (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN)) {
      try {
        ws.close(1000);
      } catch {
        // already closing
      }
    }
    if (!this.#closed) {
      this.#timer(() => {
        this.#o.logger.warn("no closing handshake from the peer; abandoning the connection");
        this.#closed = true;
        this.#settle();
      }, this.#o.closeTimeoutMs ?? 5_000);
    }
    this.#settle();
  }

  #onOpen(): void {
    if (this.#outcome) return;
    const o = this.#o;
    this.#openedAt = this.#lastFrameAt = o.clock.now();
    this.#timer(this.#checkIdle, o.idleTimeoutMs);
    if (o.maxConnectionAgeMs > 0) {
      this.#timer(() => {
        o.logger.info("connection reached its maximum age, reconnecting");
        this.#askReplace("max_age");
      }, o.maxConnectionAgeMs);
    }
    o.logger.info("connected", { url: redact(o.url) });
    try {
      o.onOpen?.(this.#conn);
    } catch (error) {
      this.#end({ kind: "fatal", error });
    }
  }

  readonly #checkIdle = () => {
    const quiet = this.#o.clock.now() - this.#lastFrameAt;
    if (quiet >= this.#o.idleTimeoutMs) {
      this.#o.logger.warn("idle timeout: no frame, reconnecting", { idleMs: quiet });
      this.#end(this.#failed("timeout"));
    } else this.#timer(this.#checkIdle, this.#o.idleTimeoutMs - quiet);
  };

  #onMessage(ev: MessageEvent): void {
    if (this.#outcome) return;
    const o = this.#o;
    o.metrics.message();
    this.#lastFrameAt = o.clock.now();
    this.#delivered.resolve();
    const queued = this.#queue.length - this.#head;
    if (queued >= o.maxQueuedFrames) {
      o.logger.error("handler too slow: frame queue full, reconnecting", { queued });
      this.#end(this.#failed("overflow"));
      return;
    }
    this.#queue.push(
      typeof ev.data === "string" ? ev.data : decoder.decode(ev.data as ArrayBuffer),
    );
    if (!this.#pumping) this.#pump();
  }

  /** Hands queued frames to the handler in order, awaiting it only when it returns a promise. */
  async #pump(): Promise<void> {
    this.#pumping = true;
    const q = this.#queue;
    try {
      while (this.#head < q.length && this.#outcome?.kind !== "aborted") {
        const text = q[this.#head++];
        if (this.#head > 1024 && this.#head * 2 > q.length) {
          q.splice(0, this.#head);
          this.#head = 0;
        }
        const r = this.#o.onFrame(text, this.#conn);
        if (r) await r;
      }
      q.length = this.#head = 0;
    } catch (error) {
      this.#end({ kind: "fatal", error });
    } finally {
      this.#pumping = false;
      this.#settle();
    }
  }

  #onClose(ev: CloseEvent): void {
    this.#closed = true;
    this.#clearTimers();
    if (!this.#outcome) {
      this.#o.logger.warn("closed by peer", { code: ev.code, reason: ev.reason });
      this.#end(this.#failed(this.#openedAt === undefined ? "connect_failed" : "closed"));
    }
    this.#settle();
  }
}

/** The URL without query credentials (CoinCap puts the key in `apiKey`), for logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    for (const k of ["apiKey", "apikey", "key", "token"]) {
      if (u.searchParams.has(k)) u.searchParams.set(k, "***");
    }
    return u.toString();
  } catch {
    return "(invalid url)";
  }
}
