/**
 * One sink actor per store, and the routes every stage uses to reach them: each record kind goes
 * to the stores that keep it; `flush` is a barrier through all of them.
 * @module
 */
import type { RecordKind, SinkMessage } from "../../actors/sinks/sink_message.ts";
import { storeAccepts, storeSinkProps } from "../../actors/sinks/store_sink.ts";
import type { Store } from "../connectors/store.ts";
import type { Alert } from "../market/alert.ts";
import type { Candle } from "../market/candle.ts";
import type { DeadLetter } from "../market/dead_letter.ts";
import type { IndicatorRow } from "../market/indicator_row.ts";
import type { Tick } from "../market/tick.ts";
import type { ActorSystem } from "../runtime/system.ts";
import { counter, publishCounts, type Registry } from "../telemetry/metrics.ts";
import { barrier, fanOut } from "./messaging.ts";
import { keepsLatestPrices, takesRawTicks } from "./stores.ts";

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
  deadLetters(rows: DeadLetter[]): void | Promise<void>;
  /** Dead letters their producer already counted (the webhook client counts its own). */
  keepDeadLetters(rows: DeadLetter[]): void | Promise<void>;
  /** Writes what every store buffers now; resolves once everything routed so far is durable. */
  flush(): Promise<void>;
  /**
   * Resolves once everything routed so far is durable, without cutting the stores' batches
   * short (each store's next regular write covers it): for periodic barriers.
   */
  sync(): Promise<void>;
}

/** Spawns the sink actors (first, so everything upstream can reach them) and their routes. */
export function spawnSinks(
  system: ActorSystem,
  stores: readonly Store[],
  options: { registry: Registry; storeTicks: boolean },
): SinkRoutes {
  let refused: (store: Store, rows: readonly unknown[], error: unknown) => void = () => {};
  const sinks = stores.map((store) =>
    system.spawn(storeSinkProps(`sink-${store.name}`, store, {}, {
      registry: options.registry,
      onRefused: (kind, rows, error) => {
        // A store that refuses dead letters themselves has nowhere better to send them: logged.
        if (kind !== "dead_letters") refused(store, rows, error);
      },
    }))
  );
  const route = (kind: RecordKind) =>
    fanOut(sinks.filter((_, i) => storeAccepts(stores[i], kind)), kind);
  const toDeadLetters = route("dead_letters");
  const rejected = countDeadLetters(options.registry);
  const deadLetters = (rows: DeadLetter[]) => {
    for (const d of rows) rejected.set(d.reason, (rejected.get(d.reason) ?? 0) + 1);
    return toDeadLetters(rows);
  };
  refused = (store, rows, error) => {
    void deadLetters(rows.map((row) => ({
      reason: "delivery_failed",
      detail: `${store.name}: ${(error as Error)?.message ?? String(error)}`,
      raw: JSON.stringify(row),
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
    deadLetters,
    keepDeadLetters: toDeadLetters,
    flush: () => Promise.all(sinks.map((s) => barrier<SinkMessage>(s))).then(() => {}),
    sync: () => Promise.all(sinks.map((s) => barrier<SinkMessage>(s, "sync"))).then(() => {}),
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
