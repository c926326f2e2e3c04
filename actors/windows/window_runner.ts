/**
 * Where a partition's window work runs. The window stage (window_stage.ts) is the same actor in
 * both modes; only its runner differs:
 * - {@linkcode LocalWindowRunner}: the {@linkcode WindowCore} in the actor's own thread, fed the
 *   ticks the memory bus delivers (the embedded pipeline);
 * - `WorkerWindowRunner` (worker_window_runner.ts): the core on the window worker thread, fed the
 *   raw record batches of a Kafka partition, decoded there (the `process` role).
 * A step returns what the stage hands on, the same shape either way.
 * @module
 */
import type { PackedRecords } from "../../src/connectors/kafka/packed_records.ts";
import type { Tick } from "../../src/market/tick.ts";
import {
  type RestorePoint,
  type TickCounter,
  type TickRules,
  WindowCore,
  type WindowOutput,
  type WindowSettings,
} from "./window_core.ts";
import type { RejectedRecord, TickTallyRow } from "./window_worker_protocol.ts";

/** What one step of window work produced. */
export interface WindowStep {
  readonly output: WindowOutput;
  /**
   * The ticks to hand on: every new tick (local runner: the embedded pipeline archives them), or
   * the newest per symbol (worker runner: in Kafka mode only the latest-value stores take ticks).
   */
  readonly ticks: Tick[];
  /** Valid, new ticks in the step. */
  readonly count: number;
  /** Ticks counted on another thread since the last step, for this thread's metrics. */
  readonly tally: readonly TickTallyRow[];
  /** Records the parser refused (worker runner). */
  readonly rejected: readonly RejectedRecord[];
  /** Largest event time among the step's new ticks; −∞ when none. */
  readonly maxTs: number;
  /** After an `idle` step: whether event time was moved on. */
  readonly advanced: boolean;
  readonly watermark: number;
  readonly lateRejected: number;
  readonly lateRevised: number;
}

/** A step, now or later. */
export type Step = WindowStep | Promise<WindowStep>;

/** One partition's window work, wherever it runs. */
export interface WindowRunner {
  /** Before the first step. */
  open(now: number): void | Promise<void>;
  /** Ticks from the memory bus, in partition order (local runner only). */
  ticks(ticks: readonly Tick[], now: number): Step;
  /** A Kafka record batch, in offset order (worker runner only). */
  records(records: PackedRecords, now: number): Step;
  /** A new owner's start: the watermark the previous owner had reached. */
  restore(point: RestorePoint, now: number): Step;
  /** End of finite input: emit every open window. */
  flush(now: number): Step;
  /** The idle timer: the stale check, and event time moved on after `quietMs ≥ timeoutMs`. */
  idle(quietMs: number, timeoutMs: number, now: number): Step;
  /** The stage stopped. */
  close(now: number): void;
}

/** The window core in the stage's own thread. */
export class LocalWindowRunner implements WindowRunner {
  readonly #core: WindowCore;

  constructor(settings: WindowSettings, counter: TickCounter, rules: TickRules | null) {
    this.#core = new WindowCore(settings, counter, rules);
  }

  open(): void {}

  ticks(ticks: readonly Tick[], now: number): WindowStep {
    const core = this.#core;
    core.now = now;
    const kept: Tick[] = [];
    let maxTs = -Infinity;
    for (let i = 0; i < ticks.length; i++) {
      const t = ticks[i];
      if (!core.add(t)) continue;
      kept.push(t);
      if (t.ts > maxTs) maxTs = t.ts;
    }
    return this.#step(kept, maxTs, false);
  }

  records(): WindowStep {
    throw new Error("LocalWindowRunner takes ticks, not Kafka records");
  }

  restore(point: RestorePoint, now: number): WindowStep {
    this.#core.now = now;
    this.#core.restore(point);
    return this.#step([], -Infinity, false);
  }

  flush(now: number): WindowStep {
    this.#core.now = now;
    this.#core.flush();
    return this.#step([], -Infinity, false);
  }

  idle(quietMs: number, timeoutMs: number, now: number): WindowStep {
    this.#core.now = now;
    const advanced = this.#core.idle(quietMs, timeoutMs);
    return this.#step([], -Infinity, advanced);
  }

  close(): void {}

  #step(ticks: Tick[], maxTs: number, advanced: boolean): WindowStep {
    const core = this.#core;
    return {
      output: core.take(),
      ticks,
      count: ticks.length,
      tally: NO_TALLY,
      rejected: NO_REJECTED,
      maxTs,
      advanced,
      watermark: core.watermark,
      lateRejected: core.lateRejected,
      lateRevised: core.lateRevised,
    };
  }
}

const NO_TALLY: readonly TickTallyRow[] = Object.freeze([]);
const NO_REJECTED: readonly RejectedRecord[] = Object.freeze([]);
