/**
 * The consumer thread's side of the window worker: starts the worker thread, sends requests with
 * their buffers transferred, and resolves each reply in order. One worker serves every partition
 * of a process; a failed worker fails every pending and later request (the actors asking then
 * fail and their supervisor decides).
 *
 * Requests made during one task of the event loop (typically one Kafka fetch handed to every
 * partition's aggregator) travel as one message, and their replies as one: a message between
 * threads costs tens of microseconds on each side, about as much as decoding a hundred records.
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

// Captured at load, as the actor scheduler does: fake timers in a test must not hold requests.
const setImmediateNative: (fn: () => void) => unknown =
  (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate?.bind(globalThis) ??
    ((fn) => setTimeout(fn, 0));

/** A running window worker. */
export class WindowWorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, PromiseWithResolvers<WindowStep>>();
  #outbox: WindowRequest[] = [];
  #transfer: ArrayBuffer[] = [];
  #nextId = 0;
  #failure: Error | null = null;

  constructor(settings: WindowWorkerSettings) {
    this.#worker = new Worker(new URL("./window_worker_main.ts", import.meta.url).href, {
      type: "module",
    });
    this.#worker.onmessage = (e: MessageEvent<WindowReply[]>) => {
      for (const reply of e.data) this.#reply(reply);
    };
    this.#worker.onerror = (e) => {
      e.preventDefault();
      this.#fail(new Error(`window worker failed: ${e.message}`));
    };
    this.#worker.postMessage(settings);
  }

  /**
   * Queues a request, sent with the others of this event-loop task; its `records` buffers are
   * transferred (unusable here afterwards).
   */
  request(body: RequestBody): Promise<WindowStep> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const buffers = body.op === "records" ? transferables(body.records) : [];
    // A batch sent once is gone from this thread (a supervisor retrying it lands here): fail
    // this request alone, not the message that carries every partition's requests.
    if (buffers.some((b) => b.detached)) {
      return Promise.reject(new Error("window worker: these records were already sent"));
    }
    const id = this.#nextId++;
    const pending = Promise.withResolvers<WindowStep>();
    this.#pending.set(id, pending);
    if (this.#outbox.push({ ...body, id } as WindowRequest) === 1) setImmediateNative(this.#send);
    for (const buffer of buffers) this.#transfer.push(buffer);
    return pending.promise;
  }

  /** Stops the worker; pending requests fail. */
  terminate(): void {
    this.#worker.terminate();
    this.#fail(new Error("window worker terminated"));
  }

  #send = (): void => {
    const requests = this.#outbox;
    const transfer = this.#transfer;
    this.#outbox = [];
    this.#transfer = [];
    if (this.#failure !== null) return;
    try {
      this.#worker.postMessage(requests, transfer);
    } catch (error) {
      // Outside any actor's turn: fail the requests (their actors' supervisors decide), never
      // the process, and leave none of them waiting.
      for (const r of requests) {
        this.#pending.get(r.id)?.reject(error);
        this.#pending.delete(r.id);
      }
    }
  };

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
