/**
 * The analytics stage: one actor per partition, after the window stage. For every closed or
 * revised candle it updates the indicators of its (symbol, interval), runs the candle-level
 * anomaly rules, and hands candles, indicator rows and alerts to the stores, waiting for them.
 * Barriers pass through (actors/barrier.ts).
 * @module
 */
import type { Alert } from "../../src/market/alert.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { IndicatorRow } from "../../src/market/indicator_row.ts";
import type { PredictionRow } from "../../src/market/forecast/prediction_row.ts";
import type { Actor, ActorContext, Props } from "../../src/runtime/mod.ts";
import { counter, publishCounts, type Registry } from "../../src/telemetry/metrics.ts";
import { type Barrier, isBarrier, passOn } from "../barrier.ts";

/** What the stage accepts. */
export type AnalyticsMessage =
  | {
    readonly kind: "candles";
    readonly rows: readonly Candle[];
    /**
     * Derived from input that is read again if this message is lost (a Kafka partition's,
     * uncommitted until its results are stored): not a loss when the runtime gives it up.
     */
    readonly replayable?: boolean;
  }
  /** A new owner's start: the stored candle history, replayed into the state, emitting nothing. */
  | { readonly kind: "warmup"; readonly rows: readonly Candle[] }
  | Barrier;

/**
 * What candles produced: indicator rows and predictions (each candle's, and later ones a
 * revision changed) and alerts, in candle order.
 */
export interface CandleOutput {
  readonly rows: readonly IndicatorRow[];
  readonly alerts: readonly Alert[];
  readonly predictions: readonly PredictionRow[];
}

/** The pure logic this stage runs (indicators, candle anomaly rules, forecasts). */
export interface CandleAnalytics {
  /**
   * A batch of candles' output; a promise when part of the work runs on another thread (the
   * forecast worker), which answers in order.
   */
  onCandles(candles: readonly Candle[]): CandleOutput | Promise<CandleOutput>;
  /**
   * A new owner's start: the stored candles rebuild the state (cooldowns included) and nothing is
   * emitted; re-emitted candles the history holds are then redeliveries that change nothing.
   */
  warmUp(candles: readonly Candle[]): void | Promise<void>;
  /** The stage stopped: state held elsewhere (the forecast worker's) is let go. */
  close(): void;
}

/** Where the stage's output goes; a returned promise means "wait". */
export interface AnalyticsDownstream {
  candles(rows: Candle[]): void | Promise<void>;
  indicators(rows: IndicatorRow[]): void | Promise<void>;
  alerts(rows: Alert[]): void | Promise<void>;
  predictions(rows: PredictionRow[]): void | Promise<void>;
  /** A barrier of `kind` through the stores (actors/barrier.ts). */
  barrier(kind: Barrier["kind"]): Promise<void>;
}

/** Props of the analytics stage of one partition. */
export function candleAnalyticsProps(
  config: { partition: number; capacity: number },
  deps: { registry: Registry; analytics: () => CandleAnalytics; downstream: AnalyticsDownstream },
): Props<AnalyticsMessage> {
  return {
    name: `analytics-${config.partition}`,
    factory: () => new CandleAnalyticsActor(deps),
    mailbox: { capacity: config.capacity, policy: "block", batchSize: 256 },
  };
}

class CandleAnalyticsActor implements Actor<AnalyticsMessage> {
  readonly #logic: CandleAnalytics;
  readonly #down: AnalyticsDownstream;
  readonly #alertCounts = new Map<string, number>();
  readonly #unregister: () => void;

  constructor(
    deps: { registry: Registry; analytics: () => CandleAnalytics; downstream: AnalyticsDownstream },
  ) {
    this.#logic = deps.analytics();
    this.#down = deps.downstream;
    this.#unregister = publishAlertCounts(deps.registry, this.#alertCounts);
  }

  receive(message: AnalyticsMessage, ctx: ActorContext<AnalyticsMessage>) {
    return this.receiveBatch([message], ctx);
  }

  async receiveBatch(messages: readonly AnalyticsMessage[], _ctx: ActorContext<AnalyticsMessage>) {
    const candles: Candle[] = [];
    const barriers: Barrier[] = [];
    // Asked in message order (a worker answers in order), awaited together: the candles since the
    // last warm-up as one batch, an array never touched again once handed over (a worker's
    // request is copied when it is sent, later in this task).
    const asked: (CandleOutput | Promise<CandleOutput> | void | Promise<void>)[] = [];
    let batch: Candle[] = [];
    const ask = () => {
      if (batch.length > 0) asked.push(this.#logic.onCandles(batch));
      batch = [];
    };
    try {
      for (const m of messages) {
        if (isBarrier(m)) {
          barriers.push(m);
        } else if (m.kind === "warmup") {
          ask();
          asked.push(this.#logic.warmUp(m.rows));
        } else {
          for (const c of m.rows) {
            candles.push(c);
            batch.push(c);
          }
        }
      }
      ask();
    } catch (error) {
      // The turn fails with this error; answers already asked for are not awaited, and one that
      // fails too must not surface as an unhandled rejection.
      for (const a of asked) if (a instanceof Promise) a.catch(() => {});
      throw error;
    }
    const rows: IndicatorRow[] = [];
    const alerts: Alert[] = [];
    const predictions: PredictionRow[] = [];
    for (const out of await Promise.all(asked)) {
      if (!out) continue;
      for (const r of out.rows) rows.push(r);
      for (const p of out.predictions) predictions.push(p);
      for (const a of out.alerts) {
        alerts.push(a);
        const key = `${a.rule}|${a.severity}`;
        this.#alertCounts.set(key, (this.#alertCounts.get(key) ?? 0) + 1);
      }
    }
    const down = this.#down;
    // Candles last, after everything computed from them: a new owner warms up from the stored
    // candles and takes a replayed candle it finds there for a redelivery, so it never computes
    // that candle's predictions, indicator row or alerts again. A kill between two writes must
    // therefore leave those written and the candle not (it is replayed and rewritten
    // idempotently), never the other way round. A store sink writes a flush's kinds in the same
    // order, but a flush between two hand-overs would otherwise split them.
    if (predictions.length) await down.predictions(predictions);
    if (rows.length) await down.indicators(rows);
    if (alerts.length) await down.alerts(alerts);
    if (candles.length) await down.candles(candles);
    // Everything before the barriers is handed on; one barrier downstream covers them all.
    if (barriers.length) {
      const kind = barriers.some((b) => b.kind === "flush") ? "flush" : "sync";
      const downstream = down.barrier(kind);
      for (const b of barriers) passOn(b, downstream);
    }
  }

  stopping(): void {
    this.#unregister();
    this.#logic.close();
  }
}

/** Publishes `pipeline_alerts_total{rule,severity}` from plain counts on each scrape. */
export function publishAlertCounts(registry: Registry, counts: Map<string, number>): () => void {
  const alerts = counter(registry, {
    name: "pipeline_alerts_total",
    help: "Alerts raised, by rule and severity",
    labelNames: ["rule", "severity"],
  });
  return publishCounts(registry, alerts, counts, (key) => {
    const [rule, severity] = key.split("|");
    return { rule, severity };
  });
}
