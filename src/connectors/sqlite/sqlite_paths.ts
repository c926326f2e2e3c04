/**
 * The files an embedded SQLite database comes with: the ones SQLite keeps beside it, and the
 * pipeline's delivery spool (src/pipeline/delivery_spool.ts). The launcher grants exactly these.
 * @module
 */
import { fileURLToPath } from "node:url";

/** The SQLite database file and the files SQLite keeps beside it. */
export function sqliteFiles(database: string): string[] {
  return [database, `${database}-wal`, `${database}-shm`, `${database}-journal`];
}

/** The delivery spool beside a database: rows a stop gave up on, re-sent at the next start. */
export function spoolPathOf(database: string): string {
  return `${database}-spool.ndjson`;
}

/**
 * The modules the SQLite writer thread (sqlite_writer_main.ts) loads: a worker's local modules need
 * read permission, and the launcher grants exactly these, not the code around them. None when the
 * code runs from a remote URL (nothing local to read).
 */
export function sqliteWriterModules(): string[] {
  const here = new URL(".", import.meta.url);
  if (here.protocol !== "file:") return [];
  return ["sqlite_writer_main.ts", "sqlite_writes.ts", "sqlite_predictions.ts", "packed_ticks.ts"]
    .map((file) => fileURLToPath(new URL(file, here)));
}
