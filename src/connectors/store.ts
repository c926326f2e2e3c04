/**
 * The contract every store connector (SQLite, PostgreSQL, ClickHouse, Redis) implements for the
 * records it keeps. Sink actors batch records and call these; a write resolves only once durable.
 * @module
 */
import type { Alert } from "../market/alert.ts";
import type { Candle } from "../market/candle.ts";
import type { DeadLetter } from "../market/dead_letter.ts";
import type { IndicatorRow } from "../market/indicator_row.ts";
import type { Tick } from "../market/tick.ts";

/**
 * A store of pipeline records. Every write is idempotent: writing the same records again changes
 * nothing (ticks by (source, symbol, id); candles and indicators keep the highest version per
 * (symbol, interval, window_start); alerts by id). A store implements the writes it supports.
 */
export interface Store {
  /** Short name used in metrics and logs, e.g. `sqlite`, `postgres`. */
  readonly name: string;
  /** Applies pending schema migrations; safe when several instances start at once. */
  migrate(): Promise<void>;
  writeTicks?(ticks: readonly Tick[]): Promise<void>;
  writeCandles?(candles: readonly Candle[]): Promise<void>;
  writeIndicators?(rows: readonly IndicatorRow[]): Promise<void>;
  writeAlerts?(alerts: readonly Alert[]): Promise<void>;
  writeDeadLetters?(letters: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}
