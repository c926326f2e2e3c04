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
import { WorkerSlot } from "../../runtime/worker_slot.ts";
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
  // A failed channel is replaced at the next write (its worker, which may still run with a reply
  // it could not send, stopped first); after close() none starts, so none is left running.
  readonly #channels: WorkerSlot<WorkerChannel<TickWriterRequest, TickWriterResult>>;

  constructor(path: string) {
    const settings: TickWriterSettings = { path };
    this.#channels = new WorkerSlot(
      () => new WorkerChannel(MODULE, settings, "SQLite tick writer thread", { immediate: true }),
      "the SQLite tick writer",
    );
  }

  /** Writes `ticks` in one transaction; resolves once committed. */
  async write(ticks: readonly Tick[]): Promise<void> {
    const channel = this.#channels.get(); // throws after close()
    const packed = packTicks(ticks);
    let failure: TickWriterResult;
    try {
      failure = await channel.request({ op: "write", ticks: packed }, [packed.numbers.buffer]);
    } catch (error) {
      throw new StoreError("sqlite", "write ticks", "transient", error);
    }
    if (failure !== null) throw sqliteFailure(failure);
  }

  /**
   * A passive WAL checkpoint on the thread's connection; resolves once it ran. Rejects when it
   * failed (nothing is lost: the frames stay in the WAL for the next checkpoint).
   */
  async checkpoint(): Promise<void> {
    const failure = await this.#channels.get().request({ op: "checkpoint" });
    if (failure !== null) throw sqliteFailure(failure);
  }

  /** Closes the thread's connection (after every write sent before) and stops the thread. */
  async close(): Promise<void> {
    const channel = this.#channels.close();
    if (channel === null) return;
    try {
      if (!channel.failed) await channel.request({ op: "close" });
    } catch {
      // A thread that failed has nothing left to close.
    } finally {
      channel.terminate();
    }
  }
}

/** The thread's report as the `node:sqlite` error it was, for sqlite_errors.ts to classify. */
function sqliteFailure(f: SqliteFailure): Error {
  const { message, ...fields } = f;
  return Object.assign(new Error(message), fields);
}
