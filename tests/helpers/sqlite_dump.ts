/**
 * Reading a pipeline's SQLite database back in tests: rows of a query, a count that is 0 while the
 * database is not there yet, and a dump of every result table in a fixed order, so two runs
 * compare with one `assert.deepEqual`.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";

/** Rows of `sql` on the database at `file`, opened read-only, as plain objects. */
export function sqliteRows(file: string, sql: string): Record<string, unknown>[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare(sql).all().map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}

/**
 * The number of rows in `table` (default `ticks`). Throws while the database or the table does
 * not exist yet, which `pollUntil` takes as "not yet".
 */
export function sqliteCount(file: string, table = "ticks"): number {
  return Number(sqliteRows(file, `SELECT count(*) AS n FROM ${table}`)[0].n);
}

/** Ordered queries of the result tables, by table. */
export const RESULT_QUERIES = {
  candles: `SELECT * FROM candles ORDER BY symbol, "interval", window_start, venue`,
  indicators: `SELECT * FROM indicators ORDER BY symbol, "interval", window_start, venue`,
  alerts: `SELECT * FROM alerts ORDER BY id`,
  predictions:
    `SELECT * FROM predictions ORDER BY venue, symbol, "interval", target_window_start, model`,
  ticks: `SELECT * FROM ticks ORDER BY source, symbol, id`,
} as const;

/**
 * How {@linkcode dumpResults} reads `dead_letters`. Their processing-time columns (`ts`, `seq`)
 * differ between runs by nature, so none of these includes them:
 * - `"by-raw"`: reason, detail, raw and source of each, ordered by source and raw line;
 * - `"by-reason"`: the same columns, ordered by source and reason;
 * - `"counts"`: only the number per reason.
 */
export type DeadLetterView = "by-raw" | "by-reason" | "counts";

const DEAD_LETTERS: Record<DeadLetterView, string> = {
  "by-raw": `SELECT reason, detail, raw, source FROM dead_letters ORDER BY source, raw`,
  "by-reason": `SELECT reason, detail, raw, source FROM dead_letters ORDER BY source, reason`,
  "counts": `SELECT reason, count(*) AS n FROM dead_letters GROUP BY reason ORDER BY reason`,
};

/** Every result table of a run, each in a fixed order. */
export type ResultDump = Record<keyof typeof RESULT_QUERIES | "dead_letters", unknown[]>;

/**
 * Candles, indicators, alerts, predictions, raw ticks and dead letters of the database at `file`, each in a
 * fixed order, for comparing two runs.
 */
export function dumpResults(
  file: string,
  options: { deadLetters?: DeadLetterView } = {},
): ResultDump {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const q = (sql: string) => db.prepare(sql).all().map((r) => ({ ...r }));
    return {
      candles: q(RESULT_QUERIES.candles),
      indicators: q(RESULT_QUERIES.indicators),
      alerts: q(RESULT_QUERIES.alerts),
      predictions: q(RESULT_QUERIES.predictions),
      ticks: q(RESULT_QUERIES.ticks),
      dead_letters: q(DEAD_LETTERS[options.deadLetters ?? "by-raw"]),
    };
  } finally {
    db.close();
  }
}

/**
 * Asserts that the databases at `actual` and `expected` hold the same candles, indicators, alerts,
 * predictions and raw ticks (dead letters aside), naming the table that differs.
 */
export function assertSameResults(actual: string, expected: string): void {
  for (const [table, sql] of Object.entries(RESULT_QUERIES)) {
    assert.deepEqual(sqliteRows(actual, sql), sqliteRows(expected, sql), table);
  }
}
