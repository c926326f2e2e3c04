/**
 * Messages a sink actor accepts: batches of records by kind. Producers send whole batches so a
 * record costs no message of its own.
 * @module
 */
import type { Alert } from "../../src/market/alert.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { DeadLetter } from "../../src/market/dead_letter.ts";
import type { IndicatorRow } from "../../src/market/indicator_row.ts";
import type { Tick } from "../../src/market/tick.ts";

/** A batch of records for a store. */
export type SinkMessage =
  | { readonly kind: "ticks"; readonly rows: readonly Tick[] }
  | { readonly kind: "candles"; readonly rows: readonly Candle[] }
  | { readonly kind: "indicators"; readonly rows: readonly IndicatorRow[] }
  | { readonly kind: "alerts"; readonly rows: readonly Alert[] }
  | { readonly kind: "dead_letters"; readonly rows: readonly DeadLetter[] }
  /**
   * Write what is buffered now; then call `done` (a barrier: everything sent before it is
   * durable). The actor's own batching timer sends it without `done`.
   */
  | { readonly kind: "flush"; readonly done?: () => void }
  /**
   * Call `done` once everything sent before it is durable, without writing early: the sink's
   * next write (batch full or timer) covers it. Periodic barriers (offset commits) use this, so
   * they never cut the sink's batches short.
   */
  | { readonly kind: "sync"; readonly done: () => void };

/** Record kinds. */
export type RecordKind = Exclude<SinkMessage["kind"], "flush" | "sync">;
