/**
 * The window aggregator of a Kafka partition. Same contract as window_aggregator.ts (control
 * messages, hand-on order, backpressure, metrics), but it takes raw record batches and its
 * per-record work (decoding, validating, candles, tick rules) runs on the window worker thread:
 * the consumer thread is left with Kafka's own protocol decoding, which is most of its work.
 * Batches of one partition are decoded and handed on in offset order; while one partition waits
 * for the worker, the consumer thread fetches and other partitions proceed.
 * @module
 */
import type { PackedRecords } from "../../src/connectors/kafka/packed_records.ts";
import type { Actor, ActorContext, Props } from "../../src/runtime/mod.ts";
import type { Registry } from "../../src/telemetry/metrics.ts";
import { TickStats } from "./tick_stats.ts";
import {
  type AggregatorControl,
  type AggregatorDownstream,
  handOn,
  publishAggregatorMetrics,
  scheduleIdle,
} from "./window_aggregator.ts";
import type { WindowWorkerClient } from "./window_worker_client.ts";
import type { RejectedRecord, WindowStep } from "./window_worker_protocol.ts";

/** A batch of one partition's records, in offset order. */
export interface RecordBatch {
  readonly kind: "records";
  readonly records: PackedRecords;
  /** A record the parser refused; a promise means "wait". */
  readonly rejected: (record: RejectedRecord) => void | Promise<void>;
  /** The batch was handed on; `maxTs` is its largest valid event time (−∞ when none). */
  readonly processed: (maxTs: number) => void;
}

/** What the record aggregator accepts. */
export type RecordAggregatorMessage = RecordBatch | AggregatorControl;

/** Configuration of one record aggregator. */
export interface RecordAggregatorConfig {
  readonly partition: number;
  /** Symbols this partition holds window state for at once (see window_core.ts). */
  readonly maxSymbols?: number;
  /** 0 disables idle advancing. */
  readonly idleTimeoutMs: number;
  readonly checkStale: boolean;
  /** Mailbox size, in batches. */
  readonly capacity: number;
}

/** What a record aggregator is wired to. */
export interface RecordAggregatorDeps {
  readonly registry: Registry;
  readonly downstream: AggregatorDownstream;
  readonly worker: WindowWorkerClient;
  readonly now?: () => number;
}

/** Props of the record aggregator of one partition. */
export function recordAggregatorProps(
  config: RecordAggregatorConfig,
  deps: RecordAggregatorDeps,
): Props<RecordAggregatorMessage> {
  return {
    name: `aggregator-${config.partition}`,
    factory: () => new RecordAggregator(config, deps),
    mailbox: { capacity: config.capacity, policy: "block", batchSize: 8 },
  };
}

class RecordAggregator implements Actor<RecordAggregatorMessage> {
  readonly #config: RecordAggregatorConfig;
  readonly #deps: RecordAggregatorDeps;
  readonly #stats: TickStats;
  readonly #progress = { watermark: -Infinity, lateRejected: 0, lateRevised: 0 };
  readonly #candleCounts: Map<string, number>;
  readonly #unregister: () => void;
  #lastActivity = 0;
  #timer: unknown = null;

  constructor(config: RecordAggregatorConfig, deps: RecordAggregatorDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#stats = new TickStats(deps.registry);
    const metrics = publishAggregatorMetrics(
      deps.registry,
      config.partition,
      this.#progress,
      deps.now ?? Date.now,
    );
    this.#candleCounts = metrics.candles;
    this.#unregister = metrics.unregister;
  }

  async started(ctx: ActorContext<RecordAggregatorMessage>): Promise<void> {
    await this.#deps.worker.request({
      op: "open",
      partition: this.#config.partition,
      maxSymbols: this.#config.maxSymbols,
      now: ctx.clock.now(),
    });
    this.#lastActivity = ctx.clock.monotonic();
    if (this.#config.idleTimeoutMs > 0 || this.#config.checkStale) this.#schedule(ctx);
  }

  receive(message: RecordAggregatorMessage, ctx: ActorContext<RecordAggregatorMessage>) {
    return this.receiveBatch([message], ctx);
  }

  async receiveBatch(
    messages: readonly RecordAggregatorMessage[],
    ctx: ActorContext<RecordAggregatorMessage>,
  ): Promise<void> {
    // Everything goes to the worker at once (it answers in order), then is handed on in order.
    const steps = messages.map((m) => this.#request(m, ctx));
    for (const s of steps) s?.catch(() => {}); // awaited below; a failure fails this turn
    const down = this.#deps.downstream;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      const step = await steps[i];
      if (step) {
        this.#apply(step);
        await handOn(down, step.latest, step.output, this.#candleCounts, step.count);
      }
      switch (m.kind) {
        case "records":
          for (const r of step!.rejected) {
            const w = m.rejected(r);
            if (w) await w;
          }
          m.processed(step!.maxTs);
          if (step!.count > 0) this.#lastActivity = ctx.clock.monotonic();
          break;
        case "flush":
          await down.flush();
          m.done?.();
          break;
        case "sync":
          // The barrier is now queued downstream behind everything this partition handed on:
          // the next batches need not wait for the stores' next write (up to their batching
          // delay, once per commit interval).
          down.sync().then(m.done, (error) => m.fail?.(error));
          break;
        case "idle":
          if (step!.advanced) this.#lastActivity = ctx.clock.monotonic();
          this.#schedule(ctx);
          break;
      }
    }
  }

  stopping(ctx: ActorContext<RecordAggregatorMessage>): void {
    if (this.#timer !== null) ctx.clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#stats.unregister();
    this.#unregister();
    const closed = this.#deps.worker.request({
      op: "close",
      partition: this.#config.partition,
      now: ctx.clock.now(),
    });
    closed.catch(() => {}); // a terminated worker holds no state to close
  }

  #request(
    m: RecordAggregatorMessage,
    ctx: ActorContext<RecordAggregatorMessage>,
  ): Promise<WindowStep> | null {
    const partition = this.#config.partition;
    const now = ctx.clock.now();
    const worker = this.#deps.worker;
    switch (m.kind) {
      case "records":
        return worker.request({ op: "records", partition, now, records: m.records });
      case "flush":
        return worker.request({ op: "flush", partition, now });
      case "restore":
        return worker.request({ op: "restore", partition, now, watermark: m.watermark });
      case "idle":
        return worker.request({
          op: "idle",
          partition,
          now,
          quietMs: ctx.clock.monotonic() - this.#lastActivity,
          timeoutMs: this.#config.idleTimeoutMs,
        });
      case "sync":
        return null;
    }
  }

  #apply(step: WindowStep): void {
    for (const t of step.tally) this.#stats.add(t.source, t.symbol, t.count, t.price);
    this.#progress.watermark = step.watermark;
    this.#progress.lateRejected = step.lateRejected;
    this.#progress.lateRevised = step.lateRevised;
  }

  #schedule(ctx: ActorContext<RecordAggregatorMessage>): void {
    this.#timer = scheduleIdle(ctx, this.#config.idleTimeoutMs);
  }
}
