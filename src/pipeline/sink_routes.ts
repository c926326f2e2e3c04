/**
 * One sink actor per store, and the routes every stage uses to reach them: each record kind goes
 * to the stores that keep it; a barrier goes through all of them. Rows a store refuses (or
 * gives up on at a stop that ran out of time) are counted in the give-up ledger and become dead
 * letters in the stores that keep them; dead letters that arrive once those sinks have stopped are
 * held for {@linkcode SinkRoutes.takeLate}, so the pipeline writes them to the stores directly.
 * @module
 */
import { barrier, type BarrierKind } from "../../actors/barrier.ts";
import type { RecordKind } from "../../actors/sinks/sink_message.ts";
import { storeAccepts, storeSinkProps } from "../../actors/sinks/store_sink.ts";
import type { Store } from "../connectors/store.ts";
import type { Alert } from "../market/alert.ts";
import type { Candle } from "../market/candle.ts";
import type { DeadLetter } from "../market/dead_letter.ts";
import type { IndicatorRow } from "../market/indicator_row.ts";
import type { PredictionRow } from "../market/forecast/prediction_row.ts";
import type { Tick } from "../market/tick.ts";
import type { ActorSystem } from "../runtime/system.ts";
import { counter, publishCounts, type Registry } from "../telemetry/metrics.ts";
import type { Logger } from "../logger.ts";
import type { DeliverySpool } from "./delivery_spool.ts";
import type { GiveUpLedger } from "./give_up_ledger.ts";
import { fanOut } from "./messaging.ts";
import { keepsLatestPrices, takesRawTicks } from "./stores.ts";
import { recordJson } from "../market/record_json.ts";

/** Where each record kind goes; a returned promise means "wait". */
export interface SinkRoutes {
  /** Raw tick tables (with `--store-ticks`). */
  ticks(rows: Tick[]): void | Promise<void>;
  /** Latest-value stores (Redis), which keep the newest price per symbol from ticks. */
  latestPrices(rows: Tick[]): void | Promise<void>;
  /** Both of the above in one fan-out (the embedded pipeline archives ticks itself). */
  allTicks(rows: Tick[]): void | Promise<void>;
  candles(rows: Candle[]): void | Promise<void>;
  indicators(rows: IndicatorRow[]): void | Promise<void>;
  alerts(rows: Alert[]): void | Promise<void>;
  predictions(rows: PredictionRow[]): void | Promise<void>;
  deadLetters(rows: DeadLetter[]): void | Promise<void>;
  /** Dead letters their producer already counted (the webhook client counts its own). */
  keepDeadLetters(rows: DeadLetter[]): void | Promise<void>;
  /**
   * A barrier through every store (actors/barrier.ts): resolves once everything routed so far is
   * durable. `flush` writes what the stores buffer now; `sync` waits for their next regular write.
   */
  barrier(kind: BarrierKind): Promise<void>;
  /**
   * Dead letters that could not reach their stores' sinks because those had stopped, since the
   * last call, by store (see the module doc).
   */
  takeLate(): Map<Store, DeadLetter[]>;
}

/** What {@linkcode spawnSinks} needs besides the system and the stores. */
export interface SinkRouteOptions {
  readonly registry: Registry;
  readonly storeTicks: boolean;
  readonly ledger: GiveUpLedger;
  readonly log: Logger;
  /** Aborted when a stop runs out of time: sinks stop retrying (see store_sink.ts). */
  readonly giveUp?: AbortSignal;
  /** How long a write may take after `giveUp` before its rows are given up. */
  readonly giveUpWriteMs?: number;
  /** The windows' allowed lateness (the sinks' window-close lag metric). */
  readonly allowedLatenessMs?: number;
  /** Where rows given up at a stop are kept to be sent again at the next start (embedded mode). */
  readonly spool?: DeliverySpool;
}

/** Spawns the sink actors (first, so everything upstream can reach them) and their routes. */
export function spawnSinks(
  system: ActorSystem,
  stores: readonly Store[],
  options: SinkRouteOptions,
): SinkRoutes {
  let refused: (
    store: Store,
    kind: RecordKind,
    rows: readonly unknown[],
    error: unknown,
    givenUp: boolean,
  ) => void = () => {};
  const sinks = stores.map((store) =>
    system.spawn(storeSinkProps(`sink-${store.name}`, store, {}, {
      registry: options.registry,
      giveUp: options.giveUp,
      giveUpWriteMs: options.giveUpWriteMs,
      allowedLatenessMs: options.allowedLatenessMs,
      onRefused: (kind, rows, error, givenUp) => refused(store, kind, rows, error, givenUp),
    }))
  );
  const route = (kind: RecordKind) =>
    fanOut(sinks.filter((_, i) => storeAccepts(stores[i], kind)), kind);
  const keepers = stores.flatMap((store, i) =>
    storeAccepts(store, "dead_letters") ? [{ store, ref: sinks[i] }] : []
  );
  let late = new Map<Store, DeadLetter[]>();
  const hold = (store: Store, rows: readonly DeadLetter[]) => {
    const held = late.get(store);
    if (held) held.push(...rows);
    else late.set(store, [...rows]);
  };
  const toDeadLetters = (rows: DeadLetter[]): void | Promise<void> => {
    if (rows.length === 0) return;
    let waits: Promise<void>[] | null = null;
    for (const { store, ref } of keepers) {
      try {
        const pending = ref.tell({ kind: "dead_letters", rows });
        if (pending) (waits ??= []).push(pending.catch(() => hold(store, rows)));
      } catch {
        // That sink has stopped: the pipeline writes these to its store once every sink is done.
        hold(store, rows);
      }
    }
    if (waits) return Promise.all(waits).then(() => {});
  };
  const rejected = countDeadLetters(options.registry);
  const deadLetters = (rows: DeadLetter[]) => {
    for (const d of rows) rejected.set(d.reason, (rejected.get(d.reason) ?? 0) + 1);
    return toDeadLetters(rows);
  };
  refused = (store, kind, rows, error, givenUp) => {
    options.ledger.record(`sink-${store.name}`, kind, rows.length, error);
    // Given up at a stop, not refused: the store may take them at the next start.
    if (givenUp) options.spool?.keep(store.name, kind, rows);
    // A store that refuses dead letters themselves has nowhere better to send them: counted above.
    if (kind === "dead_letters") return;
    const detail = `${store.name}: ${(error as Error)?.message ?? String(error)}`;
    void deadLetters(rows.map((row) => ({
      reason: "delivery_failed",
      detail,
      raw: recordJson(row),
      source: `sink-${store.name}`,
      ts: Date.now(),
    })));
  };
  const raw = (i: number) => takesRawTicks(stores[i], options.storeTicks);
  const latest = (i: number) => keepsLatestPrices(stores[i]);
  return {
    ticks: fanOut(sinks.filter((_, i) => raw(i)), "ticks"),
    latestPrices: fanOut(sinks.filter((_, i) => latest(i)), "ticks"),
    allTicks: fanOut(sinks.filter((_, i) => raw(i) || latest(i)), "ticks"),
    candles: route("candles"),
    indicators: route("indicators"),
    alerts: route("alerts"),
    predictions: route("predictions"),
    deadLetters,
    keepDeadLetters: toDeadLetters,
    barrier: (kind) => Promise.all(sinks.map((s) => barrier(s, kind))).then(() => {}),
    takeLate: () => {
      const out = late;
      late = new Map();
      return out;
    },
  };
}

/** Dead letters by reason, published as `pipeline_dead_letters_total{reason}` on scrape. */
function countDeadLetters(registry: Registry): Map<string, number> {
  const counts = new Map<string, number>();
  const metric = counter(registry, {
    name: "pipeline_dead_letters_total",
    help: "Rejected input by reason",
    labelNames: ["reason"],
  });
  publishCounts(registry, metric, counts, (reason) => ({ reason }));
  return counts;
}
