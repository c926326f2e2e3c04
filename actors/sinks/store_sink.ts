/**
 * The store sink: one actor per store, batching records naturally, writing each kind in one call,
 * retrying transient failures with backoff for as long as it takes.
 *
 * Natural batching: rows are written as soon as they arrive when no write is in flight; while one
 * is, the mailbox gathers what comes next and the next write takes all of it (up to the mailbox
 * bound). An idle pipeline thus writes each record at once (no timer adds latency), a busy one
 * writes large batches, the batch size following the store's own speed. A `maxDelayMs` above zero
 * restores timed batching (wait up to that long for `batchRows` rows).
 *
 * A store whose writes run on the event loop (SQLite) is never seen with a write in flight, so
 * natural batching would make it commit once per event-loop turn: at 10 k ticks/s hundreds of
 * small transactions a second, each costing about a millisecond of the loop (measured), which
 * delayed everything else. Such a store holds bulk rows (raw ticks, dead letters) for a short timer,
 * {@linkcode BLOCKING_STORE_DELAY_MS}; candles, indicators and alerts, which come a few per window
 * close and are waited for (the latency targets), are written at once, with whatever bulk rows are
 * buffered — unless the store's last write ended less than a gap ago
 * ({@linkcode URGENT_MIN_GAP_MS}, longer after a long write: {@linkcode URGENT_GAP_PER_WRITE}):
 * then they wait out the rest of it. Live, windows close a few times a second and nothing waits;
 * a replay closes thousands a second, and one transaction per close cost it about a fifth of its
 * throughput (measured on the embedded replay benchmark).
 *
 * While a sink retries it takes no messages, so its bounded mailbox fills and every producer upstream waits: a store that
 * is down slows the pipeline, it does not lose data.
 *
 * A non-retriable failure is about rows, not the store: the batch is split in halves and written
 * again until the rows the store can never accept are isolated; only those are refused (the
 * pipeline turns them into dead letters), every other row is written. The one time a sink stops
 * retrying is a stop that runs out of time (`giveUp` aborted): what it still holds is then refused
 * with the store's real error, so the healthy stores can flush and the run reports the loss.
 * @module
 */
import type { Store } from "../../src/connectors/store.ts";
import type { Actor, ActorContext, Props } from "../../src/runtime/mod.ts";
import { isRetriable } from "../../src/errors.ts";
import { backoffDelay } from "../../src/runtime/supervision.ts";
import { histogram, type Registry } from "../../src/telemetry/metrics.ts";
import { type Barrier, isBarrier } from "../barrier.ts";
import { observeCloseLag, type WindowRow } from "./window_close_lag.ts";
import type { RecordKind, SinkMessage } from "./sink_message.ts";

/** Configuration of a store sink. */
export interface StoreSinkConfig {
  /** Write when this many rows are buffered. Default 5000. */
  readonly batchRows?: number;
  /**
   * Timed batching: write at most this long after the first buffered row, earlier when `batchRows`
   * are buffered. Default 0: natural batching (write whenever no write is in flight); for a store
   * that blocks the event loop, {@linkcode BLOCKING_STORE_DELAY_MS}.
   */
  readonly maxDelayMs?: number;
  /**
   * Mailbox bound (messages, each a batch of up to ~1000 rows), and the most one write takes.
   * Default: the store's `sinkMailbox`, else 64.
   */
  readonly capacity?: number;
  /** Retry backoff for transient failures. */
  readonly retry?: { readonly minMs: number; readonly maxMs: number };
}

/** Kinds a blocking store writes at once; the others (bulk) wait for its short timer. */
const URGENT_KINDS: readonly RecordKind[] = ["candles", "indicators", "alerts"];

/** Timed batching delay of a store whose writes block the event loop (SQLite). */
export const BLOCKING_STORE_DELAY_MS = 15;

/** Least time between the end of a blocking store's write and an urgent one (see the module doc). */
export const URGENT_MIN_GAP_MS = 5;

/**
 * The gap after a blocking store's write is at least this many times the write's own duration, so
 * such a store writes at most about a fifth of the time, however busy; the gap is then at most
 * {@linkcode URGENT_MAX_GAP_MS}. Live, writes take well under a millisecond and the gap stays
 * {@linkcode URGENT_MIN_GAP_MS}; a replay's writes grow with their batches, and so do the gaps.
 * Fewer, larger transactions are what SQLite's write-ahead log needs: each commit appends every
 * page it changed, and the rows of a few milliseconds change nearly as many pages (one per series)
 * as those of tens of milliseconds (measured: 500 k replayed ticks with forecasts wrote 78 k pages
 * with the fixed 5 ms gap, 33 k with this one; wall time −15 %).
 */
export const URGENT_GAP_PER_WRITE = 4;

/** The longest gap {@linkcode URGENT_GAP_PER_WRITE} makes: what it adds to a candle's latency. */
export const URGENT_MAX_GAP_MS = 25;

/**
 * Writes one refused batch may take to isolate the rows a store refuses: a batch with one bad row
 * needs about 2·log2(rows); a store refusing everything (a dropped table) is not worth 2·rows.
 */
export const MAX_ISOLATION_WRITES = 64;

/** What a sink is built with besides its store and config. */
export interface StoreSinkDeps {
  readonly registry: Registry;
  readonly onWritten?: WrittenListener;
  readonly onRefused?: RefusedListener;
  /**
   * Aborted when a stop runs out of time: from then on a transient failure is not retried, its
   * rows are refused (with the store's error) instead of holding up the stop.
   */
  readonly giveUp?: AbortSignal;
  /** How long a write may take once `giveUp` is aborted before it is abandoned. Default 1000. */
  readonly giveUpWriteMs?: number;
  /** The windows' allowed lateness, for the window-close lag of candles and alerts. Default 0. */
  readonly allowedLatenessMs?: number;
}

/** Called after rows were durably written (the offset tracker listens here). */
export type WrittenListener = (kind: RecordKind, rows: readonly unknown[]) => void;

/**
 * Called with rows the store refused for good (a non-retriable error: the same rows would fail
 * again), or given up on when a stop ran out of time. The pipeline turns them into dead letters and
 * counts them, so nothing is silently lost and no barrier waits forever behind them.
 */
export type RefusedListener = (
  kind: RecordKind,
  rows: readonly unknown[],
  error: unknown,
  /** True for rows given up at a stop (the store may take them later), false for refused ones. */
  givenUp: boolean,
) => void;

// Candles after what was computed from them (predictions, indicator rows, candle alerts): a crash
// between two writes leaves candles a new owner processes again, rewriting the rest idempotently;
// the other order loses them for good, since the new owner warms up from the stored candles and
// takes those it replays for redeliveries (analytics_stage.ts hands them over in this order too).
export const WRITE_ORDER: readonly RecordKind[] = [
  "dead_letters",
  "ticks",
  "predictions",
  "indicators",
  "alerts",
  "candles",
];
/** The store method that writes each kind. */
export const WRITERS: Record<RecordKind, keyof Store> = {
  ticks: "writeTicks",
  candles: "writeCandles",
  indicators: "writeIndicators",
  alerts: "writeAlerts",
  predictions: "writePredictions",
  dead_letters: "writeDeadLetters",
};

/** Which record kinds a store can write. */
export function storeAccepts(store: Store, kind: RecordKind): boolean {
  return typeof store[WRITERS[kind]] === "function" && (store.accepts?.(kind) ?? true);
}

/** Props of the sink actor for `store`; the store must already be migrated. */
export function storeSinkProps(
  name: string,
  store: Store,
  config: StoreSinkConfig,
  deps: StoreSinkDeps,
): Props<SinkMessage> {
  const capacity = config.capacity ?? store.sinkMailbox ?? 64;
  return {
    name,
    factory: () => new StoreSink(store, config, deps),
    // A write takes everything queued: what gathered while the last one was in flight.
    mailbox: { capacity, policy: "block", batchSize: capacity },
  };
}

class StoreSink implements Actor<SinkMessage> {
  readonly #store: Store;
  readonly #batchRows: number;
  readonly #maxDelayMs: number;
  /** The short timer of a blocking store holds back only bulk rows (see the module doc). */
  readonly #lingerBulkOnly: boolean;
  readonly #retry: { minMs: number; maxMs: number };
  readonly #onWritten?: WrittenListener;
  readonly #onRefused?: RefusedListener;
  readonly #giveUp?: AbortSignal;
  readonly #giveUpWriteMs: number;
  /** A write was abandoned after `giveUp`: the store is not waited for again. */
  #abandoned = false;
  readonly #latency: { observe(v: number): void };
  readonly #closeLag: Record<"candles" | "alerts", { observe(v: number): void }>;
  readonly #allowedLatenessMs: number;
  readonly #buffers = new Map<RecordKind, unknown[]>();
  /** `sync` barriers waiting for the next write. */
  #synced: Barrier[] = [];
  #buffered = 0;
  /** Cancels the pending batching timer; null when none is set. */
  #cancelTimer: (() => void) | null = null;
  /** When the pending timer fires (monotonic ms). */
  #timerDue = Infinity;
  /** When the last write ended (monotonic ms): a blocking store's urgent rows keep a gap after it. */
  #lastWriteEnd = -Infinity;
  /** How long that write took (ms). */
  #lastWriteMs = 0;

  constructor(
    store: Store,
    config: StoreSinkConfig,
    deps: StoreSinkDeps,
  ) {
    this.#store = store;
    this.#onRefused = deps.onRefused;
    this.#giveUp = deps.giveUp;
    this.#giveUpWriteMs = deps.giveUpWriteMs ?? 1000;
    this.#batchRows = config.batchRows ?? 5000;
    this.#lingerBulkOnly = config.maxDelayMs === undefined && store.blocksEventLoop === true;
    this.#maxDelayMs = config.maxDelayMs ??
      (store.blocksEventLoop ? BLOCKING_STORE_DELAY_MS : 0);
    this.#retry = config.retry ?? { minMs: 100, maxMs: 10_000 };
    this.#onWritten = deps.onWritten;
    this.#latency = histogram(deps.registry, {
      name: "pipeline_end_to_end_latency_seconds",
      help: "Event time of the newest record in a batch to its acknowledged write",
      labelNames: ["sink"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    }).labels({ sink: store.name });
    const closeLag = histogram(deps.registry, {
      name: "pipeline_window_close_to_write_seconds",
      help: "A window's close (watermark past its end) to its candle or alert acknowledged",
      labelNames: ["sink", "kind"],
      buckets: CLOSE_LAG_BUCKETS,
    });
    this.#closeLag = {
      candles: closeLag.labels({ sink: store.name, kind: "candles" }),
      alerts: closeLag.labels({ sink: store.name, kind: "alerts" }),
    };
    this.#allowedLatenessMs = deps.allowedLatenessMs ?? 0;
  }

  receive(message: SinkMessage, ctx: ActorContext<SinkMessage>): Promise<void> | void {
    return this.receiveBatch([message], ctx);
  }

  receiveBatch(
    messages: readonly SinkMessage[],
    ctx: ActorContext<SinkMessage>,
  ): Promise<void> | void {
    let writeNow = false;
    const barriers: Barrier[] = [];
    for (const m of messages) {
      if (m.kind === "write") {
        this.#cancelTimer = null; // it fired
        this.#timerDue = Infinity;
        writeNow = true;
      } else if (isBarrier(m)) {
        if (m.kind === "flush") {
          barriers.push(m);
          writeNow = true;
        } else if (this.#buffered > 0) {
          // Rows are buffered from earlier messages: the barrier waits for their write.
          this.#synced.push(m);
        } else {
          barriers.push(m);
        }
      } else if (m.rows.length > 0 && storeAccepts(this.#store, m.kind)) {
        let buffer = this.#buffers.get(m.kind);
        if (!buffer) this.#buffers.set(m.kind, buffer = []);
        for (const row of m.rows) buffer.push(row);
        this.#buffered += m.rows.length;
      }
    }
    // Natural batching: this actor takes no message while a write is in flight, so arriving here
    // means none is; whatever gathered in the mailbox meanwhile is in `messages`.
    const now = ctx.clock.monotonic();
    const urgent = this.#lingerBulkOnly && this.#buffered > 0 && this.#urgentBuffered();
    const gapLeft = urgent ? this.#lastWriteEnd + this.#urgentGapMs() - now : 0;
    const natural = this.#buffered > 0 && (this.#maxDelayMs <= 0 || (urgent && gapLeft <= 0));
    if (writeNow || natural || this.#buffered >= this.#batchRows) {
      return this.#flush(ctx).then((gaveUp) => settle(barriers, gaveUp));
    }
    settle(barriers, null);
    if (this.#buffered > 0) this.#scheduleWrite(ctx, now, urgent ? gapLeft : this.#maxDelayMs);
    return undefined;
  }

  /** A timed write in `delayMs`, unless one is due sooner already. */
  #scheduleWrite(ctx: ActorContext<SinkMessage>, now: number, delayMs: number): void {
    if (this.#cancelTimer !== null && this.#timerDue <= now + delayMs) return;
    this.#cancelTimer?.();
    this.#timerDue = now + delayMs;
    this.#cancelTimer = ctx.scheduleSelf({ kind: "write" }, delayMs);
  }

  /** The gap a blocking store keeps after its last write before an urgent one. */
  #urgentGapMs(): number {
    const gap = Math.max(URGENT_MIN_GAP_MS, URGENT_GAP_PER_WRITE * this.#lastWriteMs);
    return Math.min(URGENT_MAX_GAP_MS, gap);
  }

  /** Rows someone waits for are buffered: candles, indicators or alerts (not raw ticks, dead letters). */
  #urgentBuffered(): boolean {
    for (const kind of URGENT_KINDS) if ((this.#buffers.get(kind)?.length ?? 0) > 0) return true;
    return false;
  }

  stopping(ctx: ActorContext<SinkMessage>): Promise<void> {
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    return this.#flush(ctx).then(() => {});
  }

  /**
   * Writes everything buffered; every waiting `sync` barrier is covered by it. Returns the error
   * of a give-up (rows not written because the stop ran out of time): the barriers covering them
   * fail, so nothing downstream of them (an offset commit) counts them as durable.
   */
  async #flush(ctx: ActorContext<SinkMessage>): Promise<unknown> {
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    const synced = this.#synced;
    this.#synced = [];
    let gaveUp: unknown;
    const started = ctx.clock.monotonic();
    try {
      gaveUp = await this.#write(ctx);
    } catch (error) {
      // Still waiting: the restarted sink's final write (stopping) or a later one releases them.
      this.#synced = synced.concat(this.#synced);
      throw error;
    } finally {
      this.#lastWriteEnd = ctx.clock.monotonic();
      this.#lastWriteMs = this.#lastWriteEnd - started;
    }
    settle(synced, gaveUp);
    return gaveUp;
  }

  /** Writes every buffered kind; returns the cause when rows were given up, else null. */
  async #write(ctx: ActorContext<SinkMessage>): Promise<unknown> {
    let gaveUp: unknown = null;
    // Dead letters first: they explain what is missing from the other tables.
    for (const kind of WRITE_ORDER) {
      const rows = this.#buffers.get(kind);
      if (!rows || rows.length === 0) continue;
      this.#buffers.set(kind, []);
      this.#buffered -= rows.length;
      const refused = await this.#writeIsolating(kind, rows, ctx);
      const written = refused.length === 0 ? rows : withoutRefused(rows, refused);
      for (const { rows: bad, error, givenUp } of refused) {
        if (givenUp) gaveUp ??= error;
        ctx.log.error(
          givenUp
            ? "store write given up at the stop; rows become dead letters"
            : "store refused rows for good; they become dead letters",
          { store: this.#store.name, kind, rows: bad.length, error },
        );
        this.#onRefused?.(kind, bad, error, givenUp);
      }
      if (written.length === 0) continue;
      this.#observeLatency(kind, written, ctx.clock.now());
      this.#onWritten?.(kind, written);
    }
    return gaveUp;
  }

  /**
   * Writes `rows`; on a non-retriable failure splits them and writes the halves, down to the rows
   * the store refuses (at most {@linkcode MAX_ISOLATION_WRITES} writes, then the rest is refused
   * together). Returns the refused rows with their errors, in order.
   */
  async #writeIsolating(
    kind: RecordKind,
    rows: unknown[],
    ctx: ActorContext<SinkMessage>,
  ): Promise<Refusal[]> {
    const refused: Refusal[] = [];
    const pending: unknown[][] = [rows];
    let writes = 0;
    let last: unknown = null;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (writes >= MAX_ISOLATION_WRITES) {
        refused.push({ rows: part, error: last, givenUp: false });
        continue;
      }
      try {
        writes++;
        await this.#writeWithRetry(kind, part, ctx);
      } catch (error) {
        last = error instanceof GaveUp ? error.cause : error;
        if (part.length === 1 || error instanceof GaveUp) {
          refused.push({ rows: part, error: last, givenUp: error instanceof GaveUp });
          continue;
        }
        const half = part.length >> 1;
        pending.unshift(part.slice(0, half), part.slice(half));
      }
    }
    return refused;
  }

  async #writeWithRetry(kind: RecordKind, rows: unknown[], ctx: ActorContext<SinkMessage>) {
    const write = this.#store[WRITERS[kind]] as (rows: readonly unknown[]) => Promise<void>;
    for (let attempt = 0;; attempt++) {
      try {
        return await this.#untilGivenUp(() => write.call(this.#store, rows), ctx);
      } catch (error) {
        if (error instanceof GaveUp) throw error;
        if (!isRetriable(error)) throw error;
        if (this.#giveUp?.aborted) throw new GaveUp(error);
        const delay = backoffDelay(
          attempt,
          { ...this.#retry, factor: 2, jitter: 0.2 },
          Math.random,
        );
        ctx.log.warn("store write failed, retrying", {
          store: this.#store.name,
          kind,
          rows: rows.length,
          attempt: attempt + 1,
          retryInMs: Math.round(delay),
          error,
        });
        try {
          await ctx.clock.sleep(delay, this.#giveUp);
        } catch {
          throw new GaveUp(error);
        }
      }
    }
  }

  /**
   * Runs `write`, bounded once the stop runs out of time: a store that black-holes a write (the
   * connection stays open, no answer comes) would otherwise hold its rows past the deadline, where
   * the actor is stopped hard and they would be lost without a trace. After `giveUp`, a write gets
   * `giveUpWriteMs`; one that does not finish by then is abandoned, its rows refused (dead letters),
   * and the store is not waited for again. An abandoned write may still land later, which is
   * harmless: writes are idempotent.
   */
  #untilGivenUp(write: () => Promise<void>, ctx: ActorContext<SinkMessage>): Promise<void> {
    const signal = this.#giveUp;
    if (signal === undefined) return write();
    if (this.#abandoned) {
      return Promise.reject(new GaveUp(new Error("an earlier write never finished")));
    }
    const pending = write();
    return new Promise((resolve, reject) => {
      // Made only once the stop runs out of time: aborting one per write cost a DOMException
      // each (0.4 % of role all's main thread at 10 k ticks/s, profiled).
      let cancel = () => {};
      const bound = () => {
        const timer = new AbortController();
        cancel = () => timer.abort();
        ctx.clock.sleep(this.#giveUpWriteMs, timer.signal).then(() => {
          pending.catch(() => {});
          this.#abandoned = true;
          reject(new GaveUp(new Error(`no answer within ${this.#giveUpWriteMs} ms`)));
        }, () => {});
      };
      if (signal.aborted) bound();
      else signal.addEventListener("abort", bound, { once: true });
      pending.then(resolve, reject).finally(() => {
        cancel();
        signal.removeEventListener("abort", bound);
      });
    });
  }

  #observeLatency(kind: RecordKind, rows: unknown[], now: number): void {
    if (kind === "candles" || kind === "alerts") {
      const lag = this.#closeLag[kind];
      observeCloseLag(rows as WindowRow[], now, this.#allowedLatenessMs, (s) => lag.observe(s));
    }
    let newest = -Infinity;
    for (const r of rows as { ts?: number; last_ts?: number; window_start?: number }[]) {
      const t = kind === "ticks" ? r.ts : kind === "candles" ? r.last_ts : undefined;
      if (t !== undefined && t > newest) newest = t;
    }
    if (newest > -Infinity) this.#latency.observe(Math.max(0, (now - newest) / 1000));
  }
}

/** Fine below 50 ms: the latency targets (docs/metrics.md) are tens of milliseconds. */
const CLOSE_LAG_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.02,
  0.05,
  0.1,
  0.15,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  60,
];

/** Rows refused together, and why. */
interface Refusal {
  readonly rows: unknown[];
  readonly error: unknown;
  /** Not written because the stop ran out of time (a retry could have succeeded). */
  readonly givenUp: boolean;
}

/** Completes `barriers`, or fails them when rows they cover were given up. */
function settle(barriers: readonly Barrier[], gaveUp: unknown): void {
  for (const b of barriers) {
    if (gaveUp === null || gaveUp === undefined) b.done();
    else b.fail(gaveUp);
  }
}

function withoutRefused(rows: readonly unknown[], refused: readonly Refusal[]): unknown[] {
  const bad = new Set(refused.flatMap((r) => r.rows));
  return rows.filter((row) => !bad.has(row));
}

/** A transient failure not retried because the stop ran out of time; `cause` is the failure. */
class GaveUp extends Error {
  constructor(cause: unknown) {
    super("gave up retrying: the stop ran out of time", { cause });
  }
}
