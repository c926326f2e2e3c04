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
import { CandleAggregator } from "../../src/market/candle_aggregator.ts";
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

/** Control messages; every other message is a tick. */
export type AggregatorControl =
  /** From the actor's own timer: check whether the partition is idle. */
  | { readonly kind: "idle" }
  /** End of finite input: emit every open window. `done` runs once all of it is durable. */
  | { readonly kind: "flush"; readonly done?: () => void }
  /** Barrier without flushing windows: `done` runs once everything handed on so far is durable. */
  | { readonly kind: "sync"; readonly done: () => void }
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
  /** Each batch of ticks, for the latest view. */
  latest?(ticks: Tick[]): void;
  /** Resolves once everything handed on so far is durable (the end-of-input barrier). */
  flush(): Promise<void>;
}

/** Tick-level anomaly rules run by the aggregator (it is the stage that sees every tick). */
export interface TickRules {
  /** `receivedAtMs` is processing time: staleness is about when the feed was last heard. */
  onTick(tick: Tick, receivedAtMs: number): readonly Alert[];
  checkStale(nowMs: number): readonly Alert[];
}

/** Configuration of one aggregator. */
export interface WindowAggregatorConfig {
  readonly partition: number;
  readonly intervals: readonly Interval[];
  readonly allowedLatenessMs: number;
  readonly lateUpdateWindowMs: number;
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
  readonly #agg: CandleAggregator;
  readonly #stats: TickStats;
  readonly #rules: TickRules | null;
  readonly #counts: AggregatorCounts;
  readonly #unregister: () => void;
  #candles: Candle[] = [];
  #late: DeadLetter[] = [];
  #now = 0;
  #lastActivity = 0;
  #timer: unknown = null;
  readonly #out = {
    candle: (c: Candle) => {
      this.#candles.push(c);
      const key = `${c.interval}|${c.version === 1 ? "final" : "revision"}`;
      this.#counts.candles.set(key, (this.#counts.candles.get(key) ?? 0) + 1);
    },
    late: (tick: Tick, detail: string) => {
      this.#late.push({
        reason: "late",
        detail,
        raw: JSON.stringify(tick),
        source: tick.source,
        ts: this.#now,
      });
    },
    duplicate: (_tick: Tick) => {},
  };

  constructor(config: WindowAggregatorConfig, deps: WindowAggregatorDeps) {
    this.#config = config;
    this.#down = deps.downstream;
    this.#agg = new CandleAggregator({
      intervals: config.intervals,
      allowedLatenessMs: config.allowedLatenessMs,
      lateUpdateWindowMs: config.lateUpdateWindowMs,
    });
    this.#stats = new TickStats(deps.registry);
    this.#rules = deps.tickRules?.() ?? null;
    const metrics = publishAggregatorMetrics(
      deps.registry,
      config.partition,
      this.#agg,
      deps.now ?? Date.now,
    );
    this.#counts = metrics.counts;
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
    this.#now = ctx.clock.now();
    const agg = this.#agg;
    const out = this.#out;
    const ticks: Tick[] = [];
    const alerts: Alert[] = [];
    let done: (() => void) | undefined;
    for (const m of messages) {
      if (isControl(m)) {
        if (m.kind === "flush") {
          agg.flush(out);
          done = m.done ?? (() => {});
        } else if (m.kind === "sync") {
          const previous = done;
          done = previous ? () => (previous(), m.done()) : m.done;
        } else if (m.kind === "restore") agg.advanceTo(m.watermark, out);
        else this.#idle(ctx, alerts);
        continue;
      }
      this.#stats.record(m);
      agg.add(m, out);
      ticks.push(m);
      if (this.#rules) { for (const a of this.#rules.onTick(m, this.#now)) alerts.push(a); }
    }
    if (ticks.length) this.#lastActivity = ctx.clock.monotonic();
    await this.#handOn(ticks, alerts);
    if (done) {
      await this.#down.flush();
      done();
    }
    this.#lastActivity = ctx.clock.monotonic();
  }

  stopping(ctx: ActorContext<AggregatorMessage>): void {
    if (this.#timer !== null) ctx.clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#stats.unregister();
    this.#unregister();
  }

  async #handOn(ticks: Tick[], alerts: Alert[]): Promise<void> {
    const down = this.#down;
    if (ticks.length) {
      down.latest?.(ticks);
      await down.ticks(ticks);
    }
    if (this.#late.length) {
      const late = this.#late;
      this.#late = [];
      await down.deadLetters(late);
    }
    if (this.#candles.length) {
      const candles = this.#candles;
      this.#candles = [];
      await down.candles(candles);
    }
    if (alerts.length && down.alerts) await down.alerts(alerts);
  }

  /** Advances the watermark of a partition that has been quiet for the idle timeout. */
  #idle(ctx: ActorContext<AggregatorMessage>, alerts: Alert[]): void {
    this.#schedule(ctx);
    if (this.#rules) { for (const a of this.#rules.checkStale(this.#now)) alerts.push(a); }
    const timeout = this.#config.idleTimeoutMs;
    const quiet = ctx.clock.monotonic() - this.#lastActivity;
    if (timeout <= 0 || quiet < timeout || !Number.isFinite(this.#agg.watermark)) return;
    // Event time is assumed to have moved on as processing time did since the last tick.
    this.#agg.advanceTo(this.#agg.watermark + quiet, this.#out);
    this.#lastActivity = ctx.clock.monotonic();
  }

  #schedule(ctx: ActorContext<AggregatorMessage>): void {
    const every = Math.max(250, Math.min(5000, (this.#config.idleTimeoutMs || 4000) / 4));
    this.#timer = ctx.clock.setTimeout(() => {
      try {
        const pending = ctx.self.tell({ kind: "idle" });
        if (pending) pending.catch(() => {});
      } catch {
        // Stopped meanwhile.
      }
    }, every);
  }
}

/** Counts kept in plain fields by the aggregator and published per scrape. */
interface AggregatorCounts {
  /** `interval|kind` → candles emitted. */
  readonly candles: Map<string, number>;
}

/** Publishes candle and late-event counts and the watermark delay on each scrape. */
function publishAggregatorMetrics(
  registry: Registry,
  partition: number,
  agg: CandleAggregator,
  now: () => number,
): { counts: AggregatorCounts; unregister: () => void } {
  const counts: AggregatorCounts = { candles: new Map() };
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
  return { counts, unregister: () => (unpublishCandles(), unpublishRest()) };
}
