/**
 * Starts a forecast worker, forecasts a few candles there and prints how many prediction rows
 * came back: run by a test under exactly the launcher's permission flags.
 * @module
 */
import { createCandleAnalyticsOn } from "../../actors/analytics/analytics_logic.ts";
import { ForecastWorkerClient } from "../../actors/analytics/forecast_worker_client.ts";
import { candles, FORECAST_CONFIG } from "./forecast_candles.ts";

const worker = new ForecastWorkerClient();
const logic = createCandleAnalyticsOn(worker, 0, {
  forecasts: { ...FORECAST_CONFIG, models: ["ewma"], learnedAnomaly: false },
});
const out = await logic.onCandles(candles(3).slice(0, 3));
await Deno.stdout.write(new TextEncoder().encode(`predictions ${out.predictions.length}\n`));
worker.terminate();
