/**
 * The window aggregator: one actor per bus partition, owning that partition's event-time candle
 * state (src/market/candle_aggregator.ts). It takes ticks in batches, hands closed and revised
 * candles to the analytics stage, raw ticks to the tick stores and late ticks to dead letters,
 * and waits for each of them (backpressure). On a quiet live partition an idle timer advances the
 * watermark at processing-time speed so windows still close.
 * @module
 */
import type { Alert } from "../../src/market/alert.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { DeadLetter } from "../../src/market/dead_letter.ts";
import type { Interval } from "../../src/market/interval.ts";
import type { Tick } from "../../src/market/tick.ts";
import type { Actor, ActorContext, Props } from "../../src/runtime/mod.ts";
import {
  counter,
  gauge,
  onCollect,
  publishCounts,
  type Registry,
} from "../../src/telemetry/metrics.ts";
import { TickStats } from "./tick_stats.ts";
import { type TickRules, WindowCore, type WindowOutput } from "./window_core.ts";

export type { TickRules } from "./window_core.ts";

/** Control messages; every other message is a tick. */
export type AggregatorControl =
  /** From the actor's own timer: check whether the partition is idle. */
  | { readonly kind: "idle" }
  /** End of finite input: emit every open window. `done` runs once all of it is durable. */
  | { readonly kind: "flush"; readonly done?: () => void }
  /**
   * Barrier without flushing windows: `done` runs once everything handed on so far is durable;
   * `fail` (when given) if that can no longer happen.
   */
  | { readonly kind: "sync"; readonly done: () => void; readonly fail?: (error: unknown) => void }
  /** A new owner's start: the watermark the previous owner had reached at the restart point. */
  | { readonly kind: "restore"; readonly watermark: number };

/** What the aggregator accepts. */
export type AggregatorMessage = Tick | AggregatorControl;

/** Where the aggregator's output goes; a returned promise means "wait". */
export interface AggregatorDownstream {
  candles(rows: Candle[]): void | Promise<void>;
  ticks(rows: Tick[]): void | Promise<void>;
  deadLetters(rows: DeadLetter[]): void | Promise<void>;
  /** Tick-level alerts (source divergence), when a detector is configured. */
  alerts?(rows: Alert[]): void | Promise<void>;
  /** Each batch of ticks (or its newest tick per symbol, with the batch's size), for the latest view. */
  latest?(ticks: Tick[], count: number): void;
  /** Resolves once everything handed on so far is durable, writing now (end of input). */
  flush(): Promise<void>;
  /** Resolves once everything handed on so far is durable, at the stores' own pace. */
  sync(): Promise<void>;
}

/** Configuration of one aggregator. */
export interface WindowAggregatorConfig {
  readonly partition: number;
  readonly intervals: readonly Interval[];
  readonly allowedLatenessMs: number;
  readonly lateUpdateWindowMs: number;
  /** Symbols this partition holds window state for at once (see window_core.ts). */
  readonly maxSymbols?: number;
  /** 0 disables idle advancing (finite replays: their end flushes instead). */
  readonly idleTimeoutMs: number;
  /** Run the processing-time `feed_stale` check (live feeds only: replays are deterministic). */
  readonly checkStale: boolean;
  readonly capacity: number;
}

/** What an aggregator is wired to. */
export interface WindowAggregatorDeps {
  readonly registry: Registry;
  readonly downstream: AggregatorDownstream;
  readonly tickRules?: () => TickRules;
  /** Processing clock for the watermark-delay gauge. */
  readonly now?: () => number;
}

/** Props of the aggregator of one partition. */
export function windowAggregatorProps(
  config: WindowAggregatorConfig,
  deps: WindowAggregatorDeps,
): Props<AggregatorMessage> {
  return {
    name: `aggregator-${config.partition}`,
    factory: () => new WindowAggregator(config, deps),
    mailbox: { capacity: config.capacity, policy: "block", batchSize: 1024 },
  };
}

function isControl(m: AggregatorMessage): m is AggregatorControl {
  return (m as AggregatorControl).kind !== undefined;
}

class WindowAggregator implements Actor<AggregatorMessage> {
  readonly #config: WindowAggregatorConfig;
  readonly #down: AggregatorDownstream;
  readonly #core: WindowCore;
  readonly #stats: TickStats;
  readonly #candleCounts: Map<string, number>;
  readonly #unregister: () => void;
  #lastActivity = 0;
  #timer: unknown = null;

  constructor(config: WindowAggregatorConfig, deps: WindowAggregatorDeps) {
    this.#config = config;
    this.#down = deps.downstream;
    this.#stats = new TickStats(deps.registry);
    this.#core = new WindowCore(config, this.#stats, deps.tickRules?.() ?? null);
    const metrics = publishAggregatorMetrics(
      deps.registry,
      config.partition,
      this.#core,
      deps.now ?? Date.now,
    );
    this.#candleCounts = metrics.candles;
    this.#unregister = metrics.unregister;
  }

  started(ctx: ActorContext<AggregatorMessage>): void {
    this.#lastActivity = ctx.clock.monotonic();
    if (this.#config.idleTimeoutMs > 0 || this.#config.checkStale) this.#schedule(ctx);
  }

  receive(message: AggregatorMessage, ctx: ActorContext<AggregatorMessage>) {
    return this.receiveBatch([message], ctx);
  }

  async receiveBatch(messages: readonly AggregatorMessage[], ctx: ActorContext<AggregatorMessage>) {
    const core = this.#core;
    core.now = ctx.clock.now();
    const ticks: Tick[] = [];
    const barriers: (() => void)[] = [];
    let flush = false;
    for (const m of messages) {
      if (isControl(m)) {
        if (m.kind === "flush") {
          core.flush();
          flush = true;
          if (m.done) barriers.push(m.done);
        } else if (m.kind === "sync") barriers.push(m.done);
        else if (m.kind === "restore") core.restore(m.watermark);
        else {
          this.#schedule(ctx);
          if (core.idle(ctx.clock.monotonic() - this.#lastActivity, this.#config.idleTimeoutMs)) {
            this.#lastActivity = ctx.clock.monotonic();
          }
        }
        continue;
      }
      if (core.add(m)) ticks.push(m);
    }
    await handOn(this.#down, ticks, core.take(), this.#candleCounts);
    // After handing on: time spent waiting for the stores is not quiet time. Only ticks count as
    // activity (an idle check must not restart the quiet period it measures).
    if (ticks.length) this.#lastActivity = ctx.clock.monotonic();
    if (flush || barriers.length) {
      await (flush ? this.#down.flush() : this.#down.sync());
      for (const done of barriers) done();
    }
  }

  stopping(ctx: ActorContext<AggregatorMessage>): void {
    if (this.#timer !== null) ctx.clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#stats.unregister();
    this.#unregister();
  }

  #schedule(ctx: ActorContext<AggregatorMessage>): void {
    this.#timer = scheduleIdle(ctx, this.#config.idleTimeoutMs);
  }
}

/** Arms the idle timer: an `idle` message to the actor itself, every 250 ms to 5 s. */
export function scheduleIdle(
  ctx: Pick<ActorContext<{ readonly kind: "idle" }>, "clock" | "self">,
  idleTimeoutMs: number,
): unknown {
  const every = Math.max(250, Math.min(5000, (idleTimeoutMs || 4000) / 4));
  return ctx.clock.setTimeout(() => {
    try {
      const pending = ctx.self.tell({ kind: "idle" });
      if (pending) pending.catch(() => {});
    } catch {
      // Stopped meanwhile.
    }
  }, every);
}

/**
 * Hands one step's output on, waiting for each consumer: ticks first (latest view, tick stores),
 * then late dead letters, candles and alerts. `ticks` may be only the newest tick per symbol when
 * nothing downstream needs every tick; `count` is how many there were.
 */
export async function handOn(
  down: AggregatorDownstream,
  ticks: Tick[],
  out: WindowOutput,
  candleCounts: Map<string, number>,
  count = ticks.length,
): Promise<void> {
  if (count) {
    down.latest?.(ticks, count);
    await down.ticks(ticks);
  }
  if (out.rejected.length) await down.deadLetters(out.rejected);
  if (out.candles.length) {
    for (const c of out.candles) {
      const key = `${c.interval}|${c.version === 1 ? "final" : "revision"}`;
      candleCounts.set(key, (candleCounts.get(key) ?? 0) + 1);
    }
    await down.candles(out.candles);
  }
  if (out.alerts.length && down.alerts) await down.alerts(out.alerts);
}

/** What the aggregator metrics read from a partition's window state at each scrape. */
export interface WindowProgress {
  readonly watermark: number;
  readonly lateRejected: number;
  readonly lateRevised: number;
}

/**
 * Publishes candle and late-event counts and the watermark delay on each scrape. `candles` counts
 * emitted candles by `interval|kind`, kept in a plain map by the caller.
 */
export function publishAggregatorMetrics(
  registry: Registry,
  partition: number,
  agg: WindowProgress,
  now: () => number,
): { candles: Map<string, number>; unregister: () => void } {
  const counts = { candles: new Map<string, number>() };
  // The aggregator counts its late ticks itself; only their growth is published here.
  const published = { rejected: 0, revised: 0 };
  const candles = counter(registry, {
    name: "pipeline_candles_total",
    help: "Candles emitted, by interval and kind (final or revision)",
    labelNames: ["interval", "kind"],
  });
  const late = counter(registry, {
    name: "pipeline_late_events_total",
    help: "Late ticks: revised a candle, or rejected past the late-update window",
    labelNames: ["outcome"],
  });
  const delay = gauge(registry, {
    name: "pipeline_watermark_delay_seconds",
    help: "Processing time minus the partition's watermark",
    labelNames: ["partition"],
  });
  const unpublishCandles = publishCounts(registry, candles, counts.candles, (key) => {
    const [interval, kind] = key.split("|");
    return { interval, kind };
  });
  const unpublishRest = onCollect(registry, () => {
    if (agg.lateRejected > published.rejected) {
      late.inc({ outcome: "rejected" }, agg.lateRejected - published.rejected);
      published.rejected = agg.lateRejected;
    }
    if (agg.lateRevised > published.revised) {
      late.inc({ outcome: "revised" }, agg.lateRevised - published.revised);
      published.revised = agg.lateRevised;
    }
    const wm = agg.watermark;
    if (Number.isFinite(wm)) delay.set({ partition: String(partition) }, (now() - wm) / 1000);
  });
  return { candles: counts.candles, unregister: () => (unpublishCandles(), unpublishRest()) };
}
