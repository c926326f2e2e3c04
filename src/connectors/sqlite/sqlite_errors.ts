/**
 * Classifies `node:sqlite` failures into retriable and fatal {@linkcode StoreError}s. A locked
 * database, a full disk or an I/O error is the environment's fault and passes (another process
 * commits, space is freed, the disk comes back): the batch is retried. A constraint, a type
 * mismatch or an oversized value is the row's fault: the same row would fail forever.
 * @module
 */
import { StoreError, type StoreErrorKind } from "../store_error.ts";

/**
 * SQLite primary result codes (the low byte of an extended code) worth retrying: BUSY, LOCKED,
 * NOMEM, READONLY (the file's permissions can be fixed), INTERRUPT, IOERR, FULL, CANTOPEN,
 * PROTOCOL, SCHEMA (a statement prepared before another connection changed the schema).
 */
const TRANSIENT_CODES = new Set([5, 6, 7, 8, 9, 10, 13, 14, 15, 17]);

// `exec()` errors carry only SQLite's message, not its code: these are sqlite3_errstr() texts of
// the transient codes above (and the messages SQLite builds around them).
const TRANSIENT_MESSAGE =
  /database is locked|database table is locked|database or disk is full|disk I\/O error|out of memory|unable to open database file|readonly database|locking protocol|database schema has changed|interrupted/i;

/**
 * The kind of a SQLite failure: `transient` for the environment's faults, `fatal` for the data's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sqliteErrorKind } from "./sqlite_errors.ts";
 * assert.equal(sqliteErrorKind(Object.assign(new Error("database is locked"), { errcode: 5 })), "transient");
 * assert.equal(sqliteErrorKind(Object.assign(new Error("NOT NULL constraint failed"), { errcode: 1299 })), "fatal");
 * ```
 */
export function sqliteErrorKind(err: unknown): StoreErrorKind {
  const { errcode, message } = (err ?? {}) as { errcode?: unknown; message?: unknown };
  if (typeof errcode === "number") {
    return TRANSIENT_CODES.has(errcode & 0xff) ? "transient" : "fatal";
  }
  return typeof message === "string" && TRANSIENT_MESSAGE.test(message) ? "transient" : "fatal";
}

/** Wraps any failure of `operation` as a {@linkcode StoreError} of the right kind. */
export function toSqliteError(operation: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  return new StoreError("sqlite", operation, sqliteErrorKind(err), err);
}
