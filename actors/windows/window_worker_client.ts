/**
 * The consumer thread's side of the window worker: starts the worker thread and sends requests
 * with their record buffers transferred (src/runtime/worker_channel.ts: in order, the requests of
 * one event-loop task — typically one Kafka fetch handed to every partition's aggregator — as one
 * message). One worker serves every partition of a process.
 * @module
 */
import { transferables } from "../../src/connectors/kafka/packed_records.ts";
import { WorkerChannel } from "../../src/runtime/worker_channel.ts";
import { WorkerSlot } from "../../src/runtime/worker_slot.ts";
import type {
  WindowRequestBody,
  WindowStep,
  WindowWorkerSettings,
} from "./window_worker_protocol.ts";

/** A running window worker. */
export class WindowWorkerClient {
  readonly #channel: WorkerChannel<WindowRequestBody, WindowStep>;

  constructor(settings: WindowWorkerSettings) {
    this.#channel = new WorkerChannel(
      new URL("./window_worker_main.ts", import.meta.url),
      settings,
      "window worker",
    );
  }

  /**
   * Queues a request, sent with the others of this event-loop task; its `records` buffers are
   * transferred (unusable here afterwards).
   */
  request(body: WindowRequestBody): Promise<WindowStep> {
    return this.#channel.request(body, body.op === "records" ? transferables(body.records) : []);
  }

  /** Whether the worker failed or was terminated: every request fails from then on. */
  get failed(): boolean {
    return this.#channel.failed;
  }

  /** Stops the worker; pending requests fail. */
  terminate(): void {
    this.#channel.terminate();
  }
}

/**
 * The window worker a process's partitions share: started on first use, and started again when
 * the one before has failed. A dead worker fails every request, so every stage on it fails; in
 * Kafka mode the member then rejoins its group (process_role.ts) and the partitions it gets back
 * open on the new worker, restored from their commits, instead of failing for good.
 */
export class WindowWorkerSlot extends WorkerSlot<WindowWorkerClient> {
  constructor(settings: WindowWorkerSettings) {
    super(() => new WindowWorkerClient(settings), "window worker");
  }
}
