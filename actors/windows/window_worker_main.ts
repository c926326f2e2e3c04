/**
 * Entry point of the window worker thread: the first message carries the settings, every later
 * one a list of {@linkcode WindowRequest}s, answered in order with one list of replies.
 * @module
 */
/// <reference lib="deno.worker" />
import { serveRequests } from "../../src/runtime/worker_channel.ts";
import { WindowWorkerHost } from "./window_worker_host.ts";
import type {
  WindowRequest,
  WindowRequestBody,
  WindowStep,
  WindowWorkerSettings,
} from "./window_worker_protocol.ts";

serveRequests<WindowWorkerSettings, WindowRequestBody, WindowStep>(self, (settings) => {
  const host = new WindowWorkerHost(settings);
  return (r: WindowRequest) => host.handle(r);
});
