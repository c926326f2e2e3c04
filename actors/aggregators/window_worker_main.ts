/**
 * Entry point of the window worker thread: the first message carries the settings, every later
 * one is a {@linkcode WindowRequest} answered in order.
 * @module
 */
/// <reference lib="deno.worker" />
import { WindowWorkerHost } from "./window_worker_host.ts";
import type { WindowRequest, WindowWorkerSettings } from "./window_worker_protocol.ts";

let host: WindowWorkerHost | null = null;

self.onmessage = (e: MessageEvent<WindowWorkerSettings | WindowRequest>) => {
  if (host === null) {
    host = new WindowWorkerHost(e.data as WindowWorkerSettings);
    return;
  }
  self.postMessage(host.handle(e.data as WindowRequest));
};
