/**
 * Messages a sink actor accepts: batches of records by kind. Producers send whole batches so a
 * record costs no message of its own.
 * @module
 */
import type { Alert } from "../../src/market/alert.ts";
import type { Barrier } from "../barrier.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { DeadLetter } from "../../src/market/dead_letter.ts";
import type { IndicatorRow } from "../../src/market/indicator_row.ts";
import type { PredictionRow } from "../../src/market/forecast/prediction_row.ts";
import type { Tick } from "../../src/market/tick.ts";

/** A batch of records for a store. */
export type RecordBatch =
  | { readonly kind: "ticks"; readonly rows: readonly Tick[] }
  | { readonly kind: "candles"; readonly rows: readonly Candle[] }
  | { readonly kind: "indicators"; readonly rows: readonly IndicatorRow[] }
  | { readonly kind: "alerts"; readonly rows: readonly Alert[] }
  | { readonly kind: "predictions"; readonly rows: readonly PredictionRow[] }
  | { readonly kind: "dead_letters"; readonly rows: readonly DeadLetter[] };

/**
 * What a sink takes: batches, barriers (actors/barrier.ts: a sink is where they end — `flush`
 * writes at once, `sync` waits for the next regular write), and its own batching timer's `write`.
 */
export type SinkMessage = RecordBatch | Barrier | { readonly kind: "write" };

/** Record kinds. */
export type RecordKind = RecordBatch["kind"];
