/**
 * Messages between a record aggregator (consumer thread) and the window worker. Every request
 * names a partition and carries the consumer thread's processing time (the worker has no clock
 * of its own, so an injected test clock still rules); the worker answers each, in order, with
 * what the step produced.
 * @module
 */
import type { CompositeOptions } from "../../src/market/composite_candle.ts";
import type { PackedRecords } from "../../src/connectors/kafka/packed_records.ts";
import type { RejectReason } from "../../src/market/dead_letter.ts";
import type { Interval } from "../../src/market/interval.ts";
import type { Tick } from "../../src/market/tick.ts";
import type { WorkerReply, WorkerRequest } from "../../src/runtime/worker_channel.ts";
import type { WindowOutput } from "./window_core.ts";

/** What a worker's partitions share. */
export interface WindowWorkerSettings {
  readonly intervals: readonly Interval[];
  readonly allowedLatenessMs: number;
  readonly lateUpdateWindowMs: number;
  /** The `feed_stale` threshold of the tick rules. */
  readonly staleAfterMs: number;
  /** Symbols accepted (after normalisation); none: every symbol. */
  readonly allowList?: readonly string[];
  /** How composite candles are built; defaults when absent. */
  readonly composite?: CompositeOptions;
  /** Venue → symbol → the venue's own instrument (WindowSettings.instruments). */
  readonly instruments?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** One request's body (src/runtime/worker_channel.ts adds the id pairing it with its reply). */
export type WindowRequestBody =
  & { readonly partition: number; readonly now: number }
  & (
    /**
     * `of`: the topic's partition count — a symbol is aggregated only on the partition Kafka's
     * default partitioner gives it (absent: no check, for tests of the window logic alone);
     * `maxSymbols`: this partition's share of `--max-symbols`.
     */
    | { readonly op: "open"; readonly of?: number; readonly maxSymbols?: number }
    | { readonly op: "records"; readonly records: PackedRecords }
    | { readonly op: "restore"; readonly watermark: number; readonly reached: number }
    | { readonly op: "flush" }
    | { readonly op: "idle"; readonly quietMs: number; readonly timeoutMs: number }
    | { readonly op: "close" }
  );

/** Ticks counted per (source, symbol) since the last step, with the last price seen. */
export interface TickTallyRow {
  readonly source: string;
  readonly symbol: string;
  readonly count: number;
  readonly price: number;
}

/** A record the parser refused: where it was, why, and its bytes (for the dead-letter topic). */
export interface RejectedRecord {
  readonly index: number;
  readonly offset: number;
  readonly reason: RejectReason;
  readonly detail: string;
  readonly original: Uint8Array;
}

/** What one request produced. */
export interface WindowStep {
  readonly output: WindowOutput;
  /** Valid ticks in the step. */
  readonly count: number;
  /** The newest tick (by event time) of each symbol in the step. */
  readonly latest: Tick[];
  readonly tally: TickTallyRow[];
  readonly rejected: RejectedRecord[];
  /** Largest event time among the step's valid ticks; −∞ when none. */
  readonly maxTs: number;
  /** After an `idle` step: whether event time was moved on. */
  readonly advanced: boolean;
  readonly watermark: number;
  readonly lateRejected: number;
  readonly lateRevised: number;
}

/** One request as it travels. */
export type WindowRequest = WorkerRequest<WindowRequestBody>;

/** The reply to a request. */
export type WindowReply = WorkerReply<WindowStep>;
