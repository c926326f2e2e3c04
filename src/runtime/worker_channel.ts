/**
 * Requests to a worker thread and their replies, in order. The first message a worker receives is
 * its settings; every later one a list of requests, answered with one list of replies
 * ({@linkcode serveRequests} is the worker's side). A failed worker fails every pending and later
 * request (the actors asking then fail and their supervisor decides).
 *
 * Requests made during one task of the event loop travel as one message, and their replies as
 * one: a message between threads costs tens of microseconds on each side, about as much as
 * decoding a hundred Kafka records or forecasting one candle. A channel made `immediate` posts
 * each request at once instead (a worker asked one thing at a time).
 * @module
 */

/** A request as it travels: the body with the id that pairs it with its reply. */
export type WorkerRequest<Body> = Body & { readonly id: number };

/** The reply to request `id`: what it produced, or why it failed. */
export type WorkerReply<Result> =
  | { readonly id: number; readonly result: Result }
  | { readonly id: number; readonly error: string };

// Captured at load, as the actor scheduler does: fake timers in a test must not hold requests.
const setImmediateNative: (fn: () => void) => unknown =
  (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate?.bind(globalThis) ??
    ((fn) => setTimeout(fn, 0));

/** The asking side of a running worker: `name` labels its errors. */
export class WorkerChannel<Body, Result> {
  readonly #worker: Worker;
  readonly #name: string;
  readonly #pending = new Map<number, PromiseWithResolvers<Result>>();
  #outbox: WorkerRequest<Body>[] = [];
  #transfer: ArrayBuffer[] = [];
  #nextId = 0;
  #failure: Error | null = null;

  readonly #immediate: boolean;

  /**
   * `immediate`: post each request at once instead of gathering a task's requests into one
   * message. Gathering pays off for a worker asked many things per task (a fetch handed to every
   * partition's window stage); a worker asked one thing at a time (SQLite's tick writer, behind a
   * sink with one write in flight) would only wait for the next macrotask, which a busy pipeline
   * reaches late (measured: 14 ms a write on the 2 M-tick replay, ~8 % of its wall time).
   */
  constructor(module: URL, settings: unknown, name: string, options: { immediate?: boolean } = {}) {
    this.#name = name;
    this.#immediate = options.immediate ?? false;
    this.#worker = new Worker(module.href, { type: "module" });
    this.#worker.onmessage = (e: MessageEvent<WorkerReply<Result>[]>) => {
      for (const reply of e.data) this.#reply(reply);
    };
    this.#worker.onerror = (e) => {
      e.preventDefault();
      this.#fail(new Error(`${name} failed: ${e.message}`));
    };
    // A reply that cannot be read would leave its request waiting forever.
    this.#worker.onmessageerror = () => this.#fail(new Error(`${name}: a reply could not be read`));
    this.#worker.postMessage(settings);
  }

  /**
   * Queues a request, sent with the others of this event-loop task (at once when `immediate`);
   * the `transfer` buffers move to the worker (unusable here afterwards).
   */
  request(body: Body, transfer: readonly ArrayBuffer[] = []): Promise<Result> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    // A buffer sent once is gone from this thread (a supervisor retrying a batch lands here):
    // fail this request alone, not the message that carries every other request.
    if (transfer.some((b) => b.detached)) {
      return Promise.reject(new Error(`${this.#name}: these buffers were already sent`));
    }
    const id = this.#nextId++;
    const pending = Promise.withResolvers<Result>();
    this.#pending.set(id, pending);
    const first = this.#outbox.push({ ...body, id }) === 1;
    for (const buffer of transfer) this.#transfer.push(buffer);
    if (this.#immediate) this.#send();
    else if (first) setImmediateNative(this.#send);
    return pending.promise;
  }

  /** Whether the worker failed or was terminated: every request fails from then on. */
  get failed(): boolean {
    return this.#failure !== null;
  }

  /** Stops the worker; pending requests fail. */
  terminate(): void {
    this.#worker.terminate();
    this.#fail(new Error(`${this.#name} terminated`));
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

  #reply(reply: WorkerReply<Result>): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if ("error" in reply) pending.reject(new Error(`${this.#name}: ${reply.error}`));
    else pending.resolve(reply.result);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }
}

/**
 * A request's reply from a handler that may throw: the failure becomes the reply, so one bad
 * request never takes the worker (and every other partition's requests) down.
 */
export function replyTo<Body, Result>(
  request: WorkerRequest<Body>,
  handle: (request: WorkerRequest<Body>) => Result,
): WorkerReply<Result> {
  try {
    return { id: request.id, result: handle(request) };
  } catch (error) {
    return {
      id: request.id,
      error: error instanceof Error ? error.stack ?? error.message : String(error),
    };
  }
}

/** The worker's side: the first message builds the host, every later one is a list of requests. */
export function serveRequests<Settings, Body, Result>(
  scope: {
    onmessage: ((e: MessageEvent) => void) | null;
    postMessage(message: unknown): void;
  },
  create: (settings: Settings) => (request: WorkerRequest<Body>) => WorkerReply<Result>,
): void {
  let handle: ((request: WorkerRequest<Body>) => WorkerReply<Result>) | null = null;
  scope.onmessage = (e: MessageEvent) => {
    if (handle === null) {
      handle = create(e.data as Settings);
      return;
    }
    scope.postMessage((e.data as WorkerRequest<Body>[]).map(handle));
  };
}
