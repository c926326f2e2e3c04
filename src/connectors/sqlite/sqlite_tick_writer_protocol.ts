/**
 * What the SQLite store and its tick writer thread (sqlite_tick_writer_main.ts) say to each other,
 * over a {@linkcode WorkerChannel} (src/runtime/worker_channel.ts): the settings name the file,
 * each request writes a batch of packed ticks in one transaction, checkpoints the WAL or closes
 * the connection, and each reply is `null` (done: committed) or the SQLite failure.
 * @module
 */
import type { PackedTicks } from "./packed_ticks.ts";

/** The thread's settings: the (migrated) database file its connection opens. */
export interface TickWriterSettings {
  readonly path: string;
}

/** A request to the thread. */
export type TickWriterRequest =
  | { readonly op: "write"; readonly ticks: PackedTicks }
  /** A passive WAL checkpoint: what no reader still needs is copied into the database file. */
  | { readonly op: "checkpoint" }
  | { readonly op: "close" };

/** A `node:sqlite` failure as it crosses threads: what classifies it (sqlite_errors.ts) kept. */
export interface SqliteFailure {
  readonly message: string;
  readonly errcode?: number;
  readonly errstr?: string;
  readonly code?: string;
}

/** A reply: `null` when done, else why the request failed. */
export type TickWriterResult = SqliteFailure | null;
