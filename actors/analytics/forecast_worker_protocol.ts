/**
 * Messages between the analytics stages (one per partition) and the forecast worker, which runs
 * every partition's forecasts and learned anomaly rule (candle_forecasts.ts) off the stages'
 * thread. Requests are answered in order (src/runtime/worker_channel.ts).
 * @module
 */
import type { ForecastConfig } from "../../src/config/pipeline_config.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { GarchFallback } from "../../src/market/forecast/prediction.ts";
import type { ScoredForecast } from "../../src/market/forecast/rolling_scores.ts";
import type { WorkerReply, WorkerRequest } from "../../src/runtime/worker_channel.ts";
import type { CandleForecastBounds, ForecastBatch } from "./candle_forecasts.ts";

/** A partition's bounds as they travel: whether live forecasts are scored, not where. */
export type ForecastBoundsData = Omit<CandleForecastBounds, "scores"> & {
  readonly scored: boolean;
};

/** One request's body. */
export type ForecastRequestBody =
  & { readonly partition: number }
  & (
    /** A partition's forecasts, fresh (replacing any the partition had). */
    | { readonly op: "open"; readonly config: ForecastConfig; readonly bounds: ForecastBoundsData }
    | { readonly op: "candles"; readonly candles: readonly Candle[] }
    | { readonly op: "warmup"; readonly candles: readonly Candle[] }
    | { readonly op: "close" }
  );

/** One request as it travels. */
export type ForecastRequest = WorkerRequest<ForecastRequestBody>;

/** What one request produced, with the live scores and GARCH fallbacks for the metrics. */
export interface ForecastStep extends ForecastBatch {
  readonly scored: [string, ScoredForecast][];
  readonly fallbacks: GarchFallback[];
}

/** The reply to a request. */
export type ForecastReply = WorkerReply<ForecastStep>;
