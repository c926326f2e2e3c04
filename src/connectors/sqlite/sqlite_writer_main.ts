/**
 * The SQLite writer thread (a Web Worker): owns the store's write connection and runs each batch
 * it is sent in one transaction, answering once it is committed. `node:sqlite` is synchronous, so
 * on the main thread every commit held the event loop (HTTP answers, timers, the pipeline itself);
 * here it holds only this thread. See sqlite_writer_thread.ts for the other side.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import {
  inTransaction,
  OPEN_BUSY_TIMEOUT_MS,
  prepareWrites,
  type SqliteWrites,
  THREAD_WRITE_BUSY_TIMEOUT_MS,
  writeBatch,
} from "./sqlite_writes.ts";
import type { WriterFailure, WriterReply, WriterRequest } from "./sqlite_writer_protocol.ts";

/**
 * How often the WAL is copied back into the database file. SQLite's default checkpoints inside the
 * COMMIT that passes 1,000 WAL pages; while readers (the read API, a dashboard polling the file)
 * hold older snapshots it cannot finish, so every later commit tried again, syncing both files:
 * at 10 k ticks/s a hundred commits a minute took 20–160 ms instead of ~2 ms, and the candles
 * waiting behind them missed their latency target. Here a passive checkpoint runs at most this
 * often, after a write was acknowledged, so no acknowledgement waits for it.
 */
const CHECKPOINT_EVERY_MS = 1000;

let db: DatabaseSync | null = null;
let writes: SqliteWrites | null = null;

function open(path: string): void {
  db = new DatabaseSync(path);
  db.exec(`PRAGMA busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
  // Per connection, like the main connection's (the journal mode is the file's, set there).
  db.exec("PRAGMA synchronous = NORMAL");
  // No checkpoint inside a commit: see checkpointLater().
  db.exec("PRAGMA wal_autocheckpoint = 0");
  writes = prepareWrites(db);
  db.exec(`PRAGMA busy_timeout = ${THREAD_WRITE_BUSY_TIMEOUT_MS}`);
}

function handle(request: WriterRequest): void {
  if (request.op === "open") open(request.path);
  else if (request.op === "write") {
    if (db === null || writes === null) throw new Error("the SQLite writer is not open");
    const w = writes;
    inTransaction(db, () => writeBatch(w, request.batch));
  } else if (db?.isOpen) db.close();
}

function failure(e: unknown): WriterFailure {
  const { message, errcode, errstr, code } = (e ?? {}) as Record<string, unknown>;
  return {
    message: typeof message === "string" ? message : String(e),
    ...(typeof errcode === "number" ? { errcode } : {}),
    ...(typeof errstr === "string" ? { errstr } : {}),
    ...(typeof code === "string" ? { code } : {}),
  };
}

const scope = self as unknown as {
  onmessage: (e: MessageEvent<WriterRequest>) => void;
  postMessage(reply: WriterReply): void;
};
let lastCheckpoint = 0;
let checkpointPending = false;

/** Schedules a passive checkpoint after the current reply, unless one ran within the interval. */
function checkpointLater(): void {
  if (checkpointPending || performance.now() - lastCheckpoint < CHECKPOINT_EVERY_MS) return;
  checkpointPending = true;
  setTimeout(() => {
    checkpointPending = false;
    lastCheckpoint = performance.now();
    try {
      // PASSIVE: copies what no reader still needs, waits for nobody. A failure (a lock, a full
      // disk) leaves the frames in the WAL, where they are as durable; the next one tries again.
      if (db?.isOpen) db.exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch {
      // See above.
    }
  }, 0);
}

scope.onmessage = (e) => {
  let reply: WriterReply;
  try {
    handle(e.data);
    reply = { id: e.data.id };
  } catch (error) {
    reply = { id: e.data.id, error: failure(error) };
  }
  scope.postMessage(reply);
  if (e.data.op === "write") checkpointLater();
};
