/**
 * The window stage: one actor per partition, owning that partition's event-time windows. It takes
 * the partition's input in order — ticks from the memory bus, or record batches from a Kafka
 * partition — and runs the window work through its runner (window_runner.ts: in this thread, or
 * on the window worker). Each step's output is handed on in a fixed order, waiting for each
 * consumer (backpressure): ticks (latest view, tick stores), rejected ticks as dead letters,
 * closed and revised candles to the analytics stage, tick-level alerts. Barriers
 * (actors/barrier.ts) pass through; on a quiet live partition an idle timer moves event time on
 * at processing-time speed so windows still close.
 * @module
 */
import type { PackedRecords } from "../../src/connectors/kafka/packed_records.ts";
import type { Alert } from "../../src/market/alert.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { DeadLetter } from "../../src/market/dead_letter.ts";
import type { Tick } from "../../src/market/tick.ts";
import type { Actor, ActorContext, Props } from "../../src/runtime/mod.ts";
import type { Registry } from "../../src/telemetry/metrics.ts";
import { type Barrier, isBarrier, passOn } from "../barrier.ts";
import { TickStats } from "./tick_stats.ts";
import { publishWindowMetrics } from "./window_metrics.ts";
import type { Step, WindowRunner, WindowStep } from "./window_runner.ts";
import type { RejectedRecord } from "./window_worker_protocol.ts";
import type { RestorePoint } from "./window_core.ts";

/** A batch of one Kafka partition's records, in offset order. */
export interface RecordBatch {
  readonly kind: "records";
  readonly records: PackedRecords;
  /** A record the parser refused; a promise means "wait". */
  readonly rejected: (record: RejectedRecord) => void | Promise<void>;
  /** The batch was handed on; `maxTs` is its largest valid event time (−∞ when none). */
  readonly processed: (maxTs: number) => void;
}

/** A new owner's start: the watermarks the previous owner had reached (window_core.ts). */
export interface Restore extends RestorePoint {
  readonly kind: "restore";
}

/** From the stage's own timer: check whether the partition is idle. */
interface Idle {
  readonly kind: "idle";
}

/** What the stage takes: ticks (memory bus), record batches (Kafka), barriers, control. */
export type WindowMessage = Tick | RecordBatch | Barrier | Restore | Idle;

/** Where the stage's output goes; a returned promise means "wait". */
export interface WindowDownstream {
  candles(rows: Candle[]): void | Promise<void>;
  ticks(rows: Tick[]): void | Promise<void>;
  deadLetters(rows: DeadLetter[]): void | Promise<void>;
  /** Tick-level alerts (source divergence, stale feeds). */
  alerts(rows: Alert[]): void | Promise<void>;
  /** Each step's ticks, and how many valid ticks the step had, for the latest view. */
  latest(ticks: Tick[], count: number): void;
  /** A barrier of `kind` through everything downstream (actors/barrier.ts). */
  barrier(kind: Barrier["kind"]): Promise<void>;
}

/** Configuration of one window stage. */
export interface WindowStageConfig {
  readonly partition: number;
  /** 0 disables idle advancing (finite replays: their end flushes instead). */
  readonly idleTimeoutMs: number;
  /** Run the processing-time `feed_stale` check (live feeds only: replays are deterministic). */
  readonly checkStale: boolean;
  /** Mailbox bound, in messages (ticks, or record batches). */
  readonly capacity: number;
  /** Messages taken per turn. */
  readonly batchSize: number;
}

/** What a window stage is wired to. */
export interface WindowStageDeps {
  readonly registry: Registry;
  readonly downstream: WindowDownstream;
  /** Makes the runner; the stage's tick statistics count what runs in this thread. */
  readonly runner: (stats: TickStats) => WindowRunner;
  /** Processing clock for the watermark-delay gauge. */
  readonly now?: () => number;
}

/** Props of the window stage of one partition. */
export function windowStageProps(
  config: WindowStageConfig,
  deps: WindowStageDeps,
): Props<WindowMessage> {
  return {
    // The name predates the stage and labels its metrics: dashboards and alerts select on it.
    name: `aggregator-${config.partition}`,
    factory: () => new WindowStage(config, deps),
    mailbox: { capacity: config.capacity, policy: "block", batchSize: config.batchSize },
  };
}

/** One unit of work: a message, or a run of consecutive ticks taken as one step. */
type Unit = { readonly ticks: Tick[] } | { readonly message: Exclude<WindowMessage, Tick> };

function isTick(m: WindowMessage): m is Tick {
  return (m as { kind?: unknown }).kind === undefined;
}

class WindowStage implements Actor<WindowMessage> {
  readonly #config: WindowStageConfig;
  readonly #down: WindowDownstream;
  readonly #stats: TickStats;
  readonly #runner: WindowRunner;
  readonly #progress = { watermark: -Infinity, lateRejected: 0, lateRevised: 0 };
  readonly #metrics: ReturnType<typeof publishWindowMetrics>;
  #lastActivity = 0;

  constructor(config: WindowStageConfig, deps: WindowStageDeps) {
    this.#config = config;
    this.#down = deps.downstream;
    this.#stats = new TickStats(deps.registry);
    this.#runner = deps.runner(this.#stats);
    this.#metrics = publishWindowMetrics(
      deps.registry,
      config.partition,
      this.#progress,
      deps.now ?? Date.now,
    );
  }

  async started(ctx: ActorContext<WindowMessage>): Promise<void> {
    await this.#runner.open(ctx.clock.now());
    this.#lastActivity = ctx.clock.monotonic();
    this.#scheduleIdle(ctx);
  }

  receive(message: WindowMessage, ctx: ActorContext<WindowMessage>) {
    return this.receiveBatch([message], ctx);
  }

  async receiveBatch(
    messages: readonly WindowMessage[],
    ctx: ActorContext<WindowMessage>,
  ): Promise<void> {
    const units = unitsOf(messages);
    // Every step is asked for at once (a worker runner answers them in order, in one exchange
    // between threads), then each is handed on in order.
    const steps = units.map((u) => this.#step(u, ctx));
    for (const s of steps) if (s instanceof Promise) s.catch(() => {}); // awaited below
    for (let i = 0; i < units.length; i++) {
      const u = units[i];
      const s = steps[i];
      const step = s === null ? null : s instanceof Promise ? await s : s;
      if (step !== null) await this.#handOn(step);
      if ("ticks" in u) {
        if (step!.count > 0) this.#lastActivity = ctx.clock.monotonic();
        continue;
      }
      const m = u.message;
      if (m.kind === "records") {
        for (const r of step!.rejected) {
          const w = m.rejected(r);
          if (w) await w;
        }
        m.processed(step!.maxTs);
        if (step!.count > 0) this.#lastActivity = ctx.clock.monotonic();
      } else if (isBarrier(m)) {
        passOn(m, this.#down.barrier(m.kind));
      } else if (m.kind === "idle") {
        if (step!.advanced) this.#lastActivity = ctx.clock.monotonic();
        this.#scheduleIdle(ctx);
      }
    }
  }

  stopping(ctx: ActorContext<WindowMessage>): void {
    this.#stats.unregister();
    this.#metrics.unregister();
    this.#runner.close(ctx.clock.now());
  }

  #step(u: Unit, ctx: ActorContext<WindowMessage>): Step | null {
    const now = ctx.clock.now();
    const runner = this.#runner;
    if ("ticks" in u) return runner.ticks(u.ticks, now);
    const m = u.message;
    switch (m.kind) {
      case "records":
        return runner.records(m.records, now);
      case "restore":
        return runner.restore(m, now);
      case "idle":
        return runner.idle(
          ctx.clock.monotonic() - this.#lastActivity,
          this.#config.idleTimeoutMs,
          now,
        );
      case "flush":
        return runner.flush(now);
      case "sync":
        return null;
    }
  }

  async #handOn(step: WindowStep): Promise<void> {
    for (const t of step.tally) this.#stats.add(t.source, t.symbol, t.count, t.price);
    this.#progress.watermark = step.watermark;
    this.#progress.lateRejected = step.lateRejected;
    this.#progress.lateRevised = step.lateRevised;
    const down = this.#down;
    const out = step.output;
    if (step.count) {
      down.latest(step.ticks, step.count);
      const w = down.ticks(step.ticks);
      if (w) await w;
    }
    if (out.rejected.length) await down.deadLetters(out.rejected);
    if (out.candles.length) {
      this.#metrics.countCandles(out.candles);
      await down.candles(out.candles);
    }
    if (out.alerts.length) await down.alerts(out.alerts);
  }

  /** The idle timer: every 250 ms to 5 s, a quarter of the idle timeout. */
  #scheduleIdle(ctx: ActorContext<WindowMessage>): void {
    const { idleTimeoutMs, checkStale } = this.#config;
    if (idleTimeoutMs <= 0 && !checkStale) return;
    ctx.scheduleSelf({ kind: "idle" }, Math.max(250, Math.min(5000, (idleTimeoutMs || 4000) / 4)));
  }
}

/** Groups consecutive ticks into one unit; every other message is a unit of its own. */
function unitsOf(messages: readonly WindowMessage[]): Unit[] {
  const units: Unit[] = [];
  let run: Tick[] | null = null;
  for (const m of messages) {
    if (isTick(m)) {
      if (run === null) units.push({ ticks: run = [] });
      run.push(m);
    } else {
      run = null;
      units.push({ message: m });
    }
  }
  return units;
}
