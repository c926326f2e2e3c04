/**
 * The files an embedded SQLite database comes with: the ones SQLite keeps beside it, and the
 * pipeline's delivery spool (src/pipeline/delivery_spool.ts). The launcher grants exactly these.
 * @module
 */

/** The SQLite database file and the files SQLite keeps beside it. */
export function sqliteFiles(database: string): string[] {
  return [database, `${database}-wal`, `${database}-shm`, `${database}-journal`];
}

/** The delivery spool beside a database: rows a stop gave up on, re-sent at the next start. */
export function spoolPathOf(database: string): string {
  return `${database}-spool.ndjson`;
}
