/**
 * The main thread's side of the SQLite writer thread (sqlite_writer_main.ts): starts it, posts each
 * batch (packed ticks' buffer transferred) and resolves the batch's promise when the thread says it
 * is committed, so an acknowledged write is as durable as one committed on the event loop. Requests
 * are answered in order; the store sends one write at a time per sink anyway.
 *
 * A thread that dies (an uncaught error, out of memory) fails what it held as transient: the sink
 * retries, and the next request starts a new thread.
 * @module
 */
import { StoreError } from "../store_error.ts";
import type { WriteBatch } from "./sqlite_writes.ts";
import type { WriterFailure, WriterReply, WriterRequest } from "./sqlite_writer_protocol.ts";

/** Distributes `Omit` over the request union. */
type RequestBody = WriterRequest extends infer R ? R extends unknown ? Omit<R, "id"> : never
  : never;

/** A SQLite write connection in a thread of its own. */
export class SqliteWriterThread {
  readonly #path: string;
  #worker: Worker | null = null;
  /** Resolves when the current thread's connection is open; rejects when it cannot be. */
  #opened: Promise<void> | null = null;
  readonly #pending = new Map<number, PromiseWithResolvers<void>>();
  #nextId = 0;

  /** A writer for the (migrated) database file at `path`; the thread starts on first use. */
  constructor(path: string) {
    this.#path = path;
  }

  /** Starts the thread and opens its connection, unless it is running already. */
  open(): Promise<void> {
    if (this.#opened === null) {
      const worker = new Worker(new URL("./sqlite_writer_main.ts", import.meta.url).href, {
        type: "module",
      });
      worker.onmessage = (e: MessageEvent<WriterReply>) => this.#reply(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        if (this.#worker === worker) {
          this.#died(new Error(`SQLite writer thread failed: ${e.message}`));
        }
      };
      this.#worker = worker;
      const opened = this.#request({ op: "open", path: this.#path }, []);
      // A thread that cannot open is not kept: the next call starts another.
      this.#opened = opened.catch((error) => {
        this.#stop(worker);
        throw error;
      });
    }
    return this.#opened;
  }

  /** Writes `batch` in one transaction; resolves once committed. `transfer` moves with it. */
  async write(batch: WriteBatch, transfer: ArrayBuffer[]): Promise<void> {
    await this.open();
    return this.#request({ op: "write", batch }, transfer);
  }

  /** Closes the connection (after every write sent before) and stops the thread. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (worker === null) return;
    try {
      await this.#opened;
      await this.#request({ op: "close" }, []);
    } catch {
      // A thread that failed has nothing left to close.
    } finally {
      this.#stop(worker);
    }
  }

  #request(body: RequestBody, transfer: ArrayBuffer[]): Promise<void> {
    const worker = this.#worker;
    if (worker === null) return Promise.reject(this.#threadError(new Error("not running")));
    const id = this.#nextId++;
    const pending = Promise.withResolvers<void>();
    this.#pending.set(id, pending);
    try {
      worker.postMessage({ ...body, id } as WriterRequest, transfer);
    } catch (error) {
      this.#pending.delete(id);
      pending.reject(error);
    }
    return pending.promise;
  }

  #reply(reply: WriterReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (reply.error === undefined) pending.resolve();
    else pending.reject(sqliteFailure(reply.error));
  }

  /** The thread died: what it held fails as transient, and the next request starts a new one. */
  #died(cause: Error): void {
    const worker = this.#worker;
    if (worker !== null) this.#stop(worker);
    const error = this.#threadError(cause);
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  #stop(worker: Worker): void {
    worker.terminate();
    if (this.#worker === worker) {
      this.#worker = null;
      this.#opened = null;
    }
  }

  #threadError(cause: Error): StoreError {
    return new StoreError("sqlite", "writer thread", "transient", cause);
  }
}

/** The thread's report as the `node:sqlite` error it was, for sqlite_errors.ts to classify. */
function sqliteFailure(f: WriterFailure): Error {
  const { message, ...fields } = f;
  return Object.assign(new Error(message), fields);
}
