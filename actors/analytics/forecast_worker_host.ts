/**
 * What runs inside the forecast worker: one {@linkcode CandleForecasts} per partition. Plain
 * logic: the worker's entry (forecast_worker_main.ts) only wires it to `postMessage`, and tests
 * drive it directly.
 * @module
 */
import type { GarchFallback } from "../../src/market/forecast/prediction.ts";
import type { ScoredForecast } from "../../src/market/forecast/rolling_scores.ts";
import { replyTo } from "../../src/runtime/worker_channel.ts";
import {
  type BatchForecasts,
  createCandleForecasts,
  type ForecastBatch,
  inThread,
} from "./candle_forecasts.ts";
import type { ForecastReply, ForecastRequest, ForecastStep } from "./forecast_worker_protocol.ts";

/** Scores and fallbacks since the last reply, handed to the stage's thread with it. */
interface Events {
  scored: [string, ScoredForecast][];
  fallbacks: GarchFallback[];
}

interface Partition {
  readonly forecasts: BatchForecasts;
  readonly events: Events;
}

const NOTHING: ForecastStep = { predictions: [], alerts: [], scored: [], fallbacks: [] };

/** The worker's state and request handling. */
export class ForecastWorkerHost {
  readonly #partitions = new Map<number, Partition>();

  /** Handles one request; never throws (a failure is the reply). */
  handle(request: ForecastRequest): ForecastReply {
    return replyTo(request, (r) => this.#step(r));
  }

  #step(r: ForecastRequest): ForecastStep {
    if (r.op === "open") {
      const { scored, ...bounds } = r.bounds;
      const events: Events = { scored: [], fallbacks: [] };
      const scores = scored
        ? {
          scored: (interval: string, s: ScoredForecast) => events.scored.push([interval, s]),
          fallback: (reason: GarchFallback) => events.fallbacks.push(reason),
        }
        : undefined;
      const forecasts = inThread(createCandleForecasts(r.config, { ...bounds, scores }));
      this.#partitions.set(r.partition, { forecasts, events });
      return NOTHING;
    }
    if (r.op === "close") {
      this.#partitions.delete(r.partition);
      return NOTHING;
    }
    const p = this.#partitions.get(r.partition);
    if (p === undefined) throw new Error(`partition ${r.partition} is not open`);
    if (r.op === "warmup") {
      p.forecasts.warmUp(r.candles);
      return NOTHING;
    }
    const { events } = p;
    const batch = p.forecasts.onCandles(r.candles) as ForecastBatch;
    const step: ForecastStep = { ...batch, scored: events.scored, fallbacks: events.fallbacks };
    events.scored = [];
    events.fallbacks = [];
    return step;
  }
}
