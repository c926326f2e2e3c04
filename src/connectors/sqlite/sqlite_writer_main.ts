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

/** WAL pages after which a commit checkpoints (see open()). */
const WAL_CHECKPOINT_PAGES = 4000;

let db: DatabaseSync | null = null;
let writes: SqliteWrites | null = null;

function open(path: string): void {
  db = new DatabaseSync(path);
  db.exec(`PRAGMA busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
  // Per connection, like the main connection's (the journal mode is the file's, set there).
  db.exec("PRAGMA synchronous = NORMAL");
  // The committing connection checkpoints. Every 1,000 WAL pages (SQLite's default) copied the
  // same hot B-tree pages of the two tick indexes back into the file again and again; every
  // 4,000 (a WAL of ~16 MB) wrote raw ticks ~1.3× faster here (5 alternating rounds, 400 k ticks).
  db.exec(`PRAGMA wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
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
scope.onmessage = (e) => {
  let reply: WriterReply;
  try {
    handle(e.data);
    reply = { id: e.data.id };
  } catch (error) {
    reply = { id: e.data.id, error: failure(error) };
  }
  scope.postMessage(reply);
};
