/**
 * Entry point of the forecast worker thread: the first message carries nothing (every partition
 * brings its own settings when it opens), every later one a list of
 * {@linkcode ForecastRequest}s, answered in order with one list of replies.
 * @module
 */
/// <reference lib="deno.worker" />
import { serveRequests } from "../../src/runtime/worker_channel.ts";
import { ForecastWorkerHost } from "./forecast_worker_host.ts";
import type {
  ForecastRequest,
  ForecastRequestBody,
  ForecastStep,
} from "./forecast_worker_protocol.ts";

serveRequests<unknown, ForecastRequestBody, ForecastStep>(self, () => {
  const host = new ForecastWorkerHost();
  return (r: ForecastRequest) => host.handle(r);
});
