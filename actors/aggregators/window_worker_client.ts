/**
 * The consumer thread's side of the window worker: starts the worker thread, sends requests with
 * their buffers transferred, and resolves each reply in order. One worker serves every partition
 * of a process; a failed worker fails every pending and later request (the actors asking then
 * fail and their supervisor decides).
 * @module
 */
import { transferables } from "../../src/connectors/kafka/packed_records.ts";
import type {
  WindowReply,
  WindowRequest,
  WindowStep,
  WindowWorkerSettings,
} from "./window_worker_protocol.ts";

/** Distributes `Omit` over the request union. */
type RequestBody = WindowRequest extends infer R ? R extends unknown ? Omit<R, "id"> : never
  : never;

/** A running window worker. */
export class WindowWorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, PromiseWithResolvers<WindowStep>>();
  #nextId = 0;
  #failure: Error | null = null;

  constructor(settings: WindowWorkerSettings) {
    this.#worker = new Worker(new URL("./window_worker_main.ts", import.meta.url).href, {
      type: "module",
    });
    this.#worker.onmessage = (e: MessageEvent<WindowReply>) => this.#reply(e.data);
    this.#worker.onerror = (e) => {
      e.preventDefault();
      this.#fail(new Error(`window worker failed: ${e.message}`));
    };
    this.#worker.postMessage(settings);
  }

  /** Sends a request; its `records` buffers are transferred (unusable here afterwards). */
  request(body: RequestBody): Promise<WindowStep> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const pending = Promise.withResolvers<WindowStep>();
    this.#pending.set(id, pending);
    const request = { ...body, id } as WindowRequest;
    this.#worker.postMessage(
      request,
      request.op === "records" ? transferables(request.records) : [],
    );
    return pending.promise;
  }

  /** Stops the worker; pending requests fail. */
  terminate(): void {
    this.#worker.terminate();
    this.#fail(new Error("window worker terminated"));
  }

  #reply(reply: WindowReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if ("error" in reply) pending.reject(new Error(`window worker: ${reply.error}`));
    else pending.resolve(reply.step);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }
}
