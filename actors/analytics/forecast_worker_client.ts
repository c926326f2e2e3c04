/**
 * The analytics stages' side of the forecast worker: one worker thread runs every partition's
 * forecasts and learned anomaly rule, so the stages' thread (in embedded mode also the one that
 * reads, parses and aggregates every tick) only hands candles over and takes rows back.
 * @module
 */
import { WorkerChannel } from "../../src/runtime/worker_channel.ts";
import { WorkerSlot } from "../../src/runtime/worker_slot.ts";
import type { ForecastConfig } from "../../src/config/pipeline_config.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { BatchForecasts, CandleForecastBounds, ForecastBatch } from "./candle_forecasts.ts";
import type { ForecastScoreSink } from "./forecast_metrics.ts";
import type { ForecastRequestBody, ForecastStep } from "./forecast_worker_protocol.ts";

/** A running forecast worker. */
export class ForecastWorkerClient {
  readonly #channel: WorkerChannel<ForecastRequestBody, ForecastStep>;

  constructor() {
    this.#channel = new WorkerChannel(
      new URL("./forecast_worker_main.ts", import.meta.url),
      null,
      "forecast worker",
    );
  }

  /** Partition `partition`'s forecasts on the worker, fresh (replacing any it had there). */
  open(partition: number, config: ForecastConfig, bounds: CandleForecastBounds): BatchForecasts {
    const { scores, ...rest } = bounds;
    const opened = this.#channel.request({
      op: "open",
      partition,
      config,
      bounds: { ...rest, scored: scores !== undefined },
    });
    // A failed open fails the partition's next request too ("not open"): that one is awaited.
    opened.catch(() => {});
    return new RemoteForecasts(this.#channel, partition, scores);
  }

  /** Whether the worker failed or was terminated. */
  get failed(): boolean {
    return this.#channel.failed;
  }

  /** Stops the worker; pending requests fail. */
  terminate(): void {
    this.#channel.terminate();
  }
}

/**
 * The forecast worker a process's analytics stages share: started on first use, and started
 * again when the one before has failed. A dead worker fails every request; the stages asking then
 * fail, their supervisors restart them, and the restarted stages open their partitions on the new
 * worker (from empty state, as any restarted stage) instead of failing for good.
 */
export class ForecastWorkerSlot extends WorkerSlot<ForecastWorkerClient> {
  constructor() {
    super(() => new ForecastWorkerClient(), "forecast worker");
  }
}

class RemoteForecasts implements BatchForecasts {
  readonly #channel: WorkerChannel<ForecastRequestBody, ForecastStep>;
  readonly #partition: number;
  readonly #scores: ForecastScoreSink | undefined;

  constructor(
    channel: WorkerChannel<ForecastRequestBody, ForecastStep>,
    partition: number,
    scores: ForecastScoreSink | undefined,
  ) {
    this.#channel = channel;
    this.#partition = partition;
    this.#scores = scores;
  }

  async onCandles(candles: readonly Candle[]): Promise<ForecastBatch> {
    const step = await this.#channel.request({
      op: "candles",
      partition: this.#partition,
      candles,
    });
    const sink = this.#scores;
    if (sink) {
      for (const [interval, s] of step.scored) sink.scored(interval, s);
      for (const reason of step.fallbacks) sink.fallback(reason);
    }
    return { predictions: step.predictions, alerts: step.alerts };
  }

  async warmUp(candles: readonly Candle[]): Promise<void> {
    await this.#channel.request({ op: "warmup", partition: this.#partition, candles });
  }

  close(): void {
    const closed = this.#channel.request({ op: "close", partition: this.#partition });
    closed.catch(() => {}); // a terminated worker holds no state to close
  }
}
