/**
 * The contract every store connector (SQLite, PostgreSQL, ClickHouse, Redis) implements for the
 * records it keeps. Sink actors batch records and call these; a write resolves only once durable.
 * @module
 */
import type { Alert } from "../market/alert.ts";
import type { Candle } from "../market/candle.ts";
import type { DeadLetter } from "../market/dead_letter.ts";
import type { IndicatorRow } from "../market/indicator_row.ts";
import type { PredictionRow } from "../market/forecast/prediction_row.ts";
import type { Tick } from "../market/tick.ts";

/** The record kinds a store may keep. */
export type StoreRecordKind =
  | "ticks"
  | "candles"
  | "indicators"
  | "alerts"
  | "predictions"
  | "dead_letters";

/**
 * A store of pipeline records. Every write is idempotent: writing the same records again changes
 * nothing (ticks by (source, symbol, id); candles and indicators keep the highest version per
 * (symbol, interval, window_start); alerts by id). A store implements the writes it supports.
 */
export interface Store {
  /** Short name used in metrics and logs, e.g. `sqlite`, `postgres`. */
  readonly name: string;
  /**
   * True when a write runs on the event loop (`node:sqlite` is synchronous): no write is ever seen
   * in flight, so natural batching would commit once
   * per event-loop turn; the sink gathers for a few milliseconds instead (actors/sinks/store_sink.ts).
   */
  readonly blocksEventLoop?: boolean;
  /**
   * The sink's mailbox bound in messages (default 64), which is also the most one write takes. A
   * store that writes its bulk rows in a thread of its own (SQLite's raw ticks) wants a larger one:
   * while the thread commits one batch, the next must have room to gather.
   */
  readonly sinkMailbox?: number;
  /**
   * Whether this instance keeps `kind` when it has the write method but may be configured not to
   * (ClickHouse's optional raw ticks). Absent: every kind it has a write method for.
   */
  accepts?(kind: StoreRecordKind): boolean;
  /**
   * True for a latest-value store (Redis): `writeTicks` keeps only the newest price per symbol, so
   * it receives ticks whether or not raw ticks are stored (`--store-ticks`).
   */
  readonly latestValuesOnly?: boolean;
  /** Applies pending schema migrations; safe when several instances start at once. */
  migrate(): Promise<void>;
  writeTicks?(ticks: readonly Tick[]): Promise<void>;
  writeCandles?(candles: readonly Candle[]): Promise<void>;
  writeIndicators?(rows: readonly IndicatorRow[]): Promise<void>;
  writeAlerts?(alerts: readonly Alert[]): Promise<void>;
  /** Keeps the highest version per (venue, symbol, interval, target_window_start, model). */
  writePredictions?(rows: readonly PredictionRow[]): Promise<void>;
  writeDeadLetters?(letters: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}
