/**
 * The main thread's side of the SQLite tick writer thread (sqlite_tick_writer_main.ts): packs each
 * batch of raw ticks into one transferred buffer (packed_ticks.ts), posts it, and resolves once
 * the thread has committed it, so an acknowledged write is as durable as one committed on the
 * event loop. Candles, indicators, alerts and the rest stay on the store's own connection: they
 * are few, and a thread hop would only add to their latency.
 *
 * A thread that dies (an uncaught error, out of memory) fails what it held as transient: the sink
 * retries, and the next write starts a new thread.
 * @module
 */
import { WorkerChannel } from "../../runtime/worker_channel.ts";
import type { Tick } from "../../market/tick.ts";
import { StoreError } from "../store_error.ts";
import { packTicks } from "./packed_ticks.ts";
import type {
  SqliteFailure,
  TickWriterRequest,
  TickWriterResult,
  TickWriterSettings,
} from "./sqlite_tick_writer_protocol.ts";

const MODULE = new URL("./sqlite_tick_writer_main.ts", import.meta.url);

/** Raw ticks written into the (migrated) database file `path` by a thread of their own. */
export class SqliteTickWriter {
  readonly #path: string;
  #channel: WorkerChannel<TickWriterRequest, TickWriterResult> | null = null;
  #closed = false;

  constructor(path: string) {
    this.#path = path;
  }

  /** Writes `ticks` in one transaction; resolves once committed. */
  async write(ticks: readonly Tick[]): Promise<void> {
    // A write after close() would start a thread nothing stops.
    if (this.#closed) throw new Error("the SQLite tick writer is closed");
    const packed = packTicks(ticks);
    const failure = await this.#request({ op: "write", ticks: packed }, [packed.numbers.buffer]);
    if (failure !== null) throw sqliteFailure(failure);
  }

  /** Closes the thread's connection (after every write sent before) and stops the thread. */
  async close(): Promise<void> {
    this.#closed = true;
    const channel = this.#channel;
    if (channel === null) return;
    this.#channel = null;
    try {
      if (!channel.failed) await channel.request({ op: "close" });
    } catch {
      // A thread that failed has nothing left to close.
    } finally {
      channel.terminate();
    }
  }

  async #request(
    body: TickWriterRequest,
    transfer: ArrayBuffer[],
  ): Promise<TickWriterResult> {
    if (this.#channel === null || this.#channel.failed) {
      // A failed channel's worker may still run (a reply it could not send): stop it first.
      this.#channel?.terminate();
      const settings: TickWriterSettings = { path: this.#path };
      this.#channel = new WorkerChannel(MODULE, settings, "SQLite tick writer thread", {
        immediate: true,
      });
    }
    try {
      return await this.#channel.request(body, transfer);
    } catch (error) {
      throw new StoreError("sqlite", "write ticks", "transient", error);
    }
  }
}

/** The thread's report as the `node:sqlite` error it was, for sqlite_errors.ts to classify. */
function sqliteFailure(f: SqliteFailure): Error {
  const { message, ...fields } = f;
  return Object.assign(new Error(message), fields);
}
