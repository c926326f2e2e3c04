/**
 * A reconnecting WebSocket client loop: backoff with jitter and a cap, an optional connection
 * budget, a connect timeout, an idle timeout that forces a reconnect, a planned reconnect before a
 * venue's maximum connection age, and in-order frame handling that awaits the handler
 * (backpressure). Protocol ping frames are answered by the runtime's WebSocket.
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
  while (!signal.aborted) {
    if (!first) {
      o.metrics.reconnect();
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
    o.budget?.record(o.clock.now());
    const out = await connectOnce(o, signal);
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

const decoder = new TextDecoder();

function connectOnce(o: WsLoopOptions, signal: AbortSignal): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(o.url);
    } catch (e) {
      resolve({ kind: "fatal", error: e });
      return;
    }
    new WsSession(o, ws, signal, resolve);
  });
}

/**
 * One connection's life: timers, the in-order frame queue and how it ended. It resolves once the
 * socket is closed (or the closing handshake timed out) and the queue is drained.
 */
class WsSession {
  readonly #o: WsLoopOptions;
  readonly #ws: WebSocket;
  readonly #signal: AbortSignal;
  readonly #resolve: (o: Outcome) => void;
  readonly #timers = new Set<TimerHandle>();
  readonly #queue: string[] = [];
  readonly #conn: WsConnection;
  #head = 0;
  #outcome: Outcome | undefined;
  #openedAt: number | undefined;
  #closed = false;
  #pumping = false;
  #lastFrameAt: number;

  constructor(o: WsLoopOptions, ws: WebSocket, signal: AbortSignal, resolve: (o: Outcome) => void) {
    this.#o = o;
    this.#ws = ws;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#lastFrameAt = o.clock.now();
    this.#conn = {
      send: (text) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(text);
      },
      reconnect: (kind, planned = false) => this.#end(this.#failed(kind, planned)),
      finish: (result) => this.#end({ kind: "finished", result }),
    };
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
    if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
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
        this.#end(this.#failed("max_age", true));
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
