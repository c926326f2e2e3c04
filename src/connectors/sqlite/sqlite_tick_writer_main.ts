/**
 * The SQLite tick writer thread (a Web Worker): its own connection to the store's file, writing
 * each batch of raw ticks it is sent in one transaction and answering once it is committed, and
 * running the WAL checkpoints the store asks for (sqlite_store.ts, `checkpointThread`).
 * `node:sqlite` is synchronous, so on the event loop a tick's B-tree insert (~3 µs) was the
 * pipeline's largest single cost with raw ticks stored; here it runs beside it, on another core.
 * The other side is sqlite_tick_writer.ts.
 * @module
 */
/// <reference lib="deno.worker" />
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { serveRequests } from "../../runtime/worker_channel.ts";
import type {
  SqliteFailure,
  TickWriterRequest,
  TickWriterResult,
  TickWriterSettings,
} from "./sqlite_tick_writer_protocol.ts";
import {
  inTransaction,
  OPEN_BUSY_TIMEOUT_MS,
  prepareTickWrite,
  THREAD_AUTOCHECKPOINT_PAGES,
  THREAD_WRITE_BUSY_TIMEOUT_MS,
  writePackedTicks,
} from "./sqlite_writes.ts";

/** The failure as data: the fields sqlite_errors.ts classifies by survive the trip. */
function failure(e: unknown): SqliteFailure {
  const { message, errcode, errstr, code } = (e ?? {}) as Record<string, unknown>;
  return {
    message: typeof message === "string" ? message : String(e),
    ...(typeof errcode === "number" ? { errcode } : {}),
    ...(typeof errstr === "string" ? { errstr } : {}),
    ...(typeof code === "string" ? { code } : {}),
  };
}

serveRequests<TickWriterSettings, TickWriterRequest, TickWriterResult>(
  self,
  ({ path }) => {
    let connection: { db: DatabaseSync; insert: StatementSync } | null = null;
    // Opened with the first request, so a file that cannot be opened fails that request (a
    // retriable StoreError) instead of the thread.
    const open = (): { db: DatabaseSync; insert: StatementSync } => {
      if (connection !== null) return connection;
      const db = new DatabaseSync(path);
      try {
        db.exec(`PRAGMA busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
        // Per connection, like the main connection's (the journal mode is the file's).
        db.exec("PRAGMA synchronous = NORMAL");
        db.exec(`PRAGMA wal_autocheckpoint = ${THREAD_AUTOCHECKPOINT_PAGES}`);
        const insert = prepareTickWrite(db);
        db.exec(`PRAGMA busy_timeout = ${THREAD_WRITE_BUSY_TIMEOUT_MS}`);
        return connection = { db, insert };
      } catch (e) {
        // Not kept half set up: the next request opens again.
        db.close();
        throw e;
      }
    };
    return (request) => {
      try {
        if (request.op === "close") {
          connection?.db.close();
          connection = null;
          return { id: request.id, result: null };
        }
        const { db, insert } = open();
        // PASSIVE: never waits for a lock, so the event loop's next commit is never held up.
        if (request.op === "checkpoint") db.exec("PRAGMA wal_checkpoint(PASSIVE)");
        else inTransaction(db, () => writePackedTicks(insert, request.ticks));
        return { id: request.id, result: null };
      } catch (e) {
        return { id: request.id, result: failure(e) };
      }
    };
  },
);
