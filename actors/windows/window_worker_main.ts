/**
 * Entry point of the window worker thread: the first message carries the settings, every later
 * one a list of {@linkcode WindowRequest}s, answered in order with one list of replies.
 * @module
 */
/// <reference lib="deno.worker" />
import { WindowWorkerHost } from "./window_worker_host.ts";
import type { WindowRequest, WindowWorkerSettings } from "./window_worker_protocol.ts";

let host: WindowWorkerHost | null = null;

self.onmessage = (e: MessageEvent<WindowWorkerSettings | WindowRequest[]>) => {
  if (host === null) {
    host = new WindowWorkerHost(e.data as WindowWorkerSettings);
    return;
  }
  const h = host;
  self.postMessage((e.data as WindowRequest[]).map((r) => h.handle(r)));
};
