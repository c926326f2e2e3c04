/**
 * The graceful stop of a pipeline, bounded by `--shutdown-timeout`: inputs first (the consumer
 * groups), then the actor system in reverse spawn order (sources, stages, sinks — each drained),
 * then the producer, the HTTP server and the stores. Halfway through, a store still failing is
 * given up (store_sink.ts), so the healthy ones get their rows in time; what does not finish by the
 * deadline is left behind and reported: the termination is then not ok.
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Store } from "../connectors/store.ts";
import type { Logger } from "../logger.ts";
import type { ActorSystem, Termination } from "../runtime/system.ts";
import type { GiveUpLedger } from "./give_up_ledger.ts";
import { runWithin } from "./run_within.ts";
import type { SinkRoutes } from "./sink_routes.ts";
import type { Topology } from "./topology.ts";

/** What a stop goes through. */
export interface StopParts {
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly system: ActorSystem;
  readonly topology: Topology;
  readonly stores: readonly Store[];
  readonly routes: SinkRoutes;
  readonly ledger: GiveUpLedger;
  /** Aborted halfway through the stop: failing stores are given up. */
  readonly giveUp: AbortController;
  /** Closes the HTTP server, if any. */
  readonly closeHttp: () => Promise<void>;
}

/** A stop, and how the pipeline ended. */
export interface StopSequence {
  /** Starts the stop (once); resolves when it ended. */
  stop(): Promise<void>;
  /** Resolves once the stop ended: `ok: false` after an escalation or a forced stop. */
  readonly terminated: Promise<Termination>;
  /** True from the moment the stop began. */
  readonly stopping: boolean;
}

/** Builds the stop of a pipeline; a root escalation starts it too. */
export function createStopSequence(parts: StopParts): StopSequence {
  const { clock, log, system } = parts;
  let stopped: Promise<void> | null = null;
  let resolveTerminated!: (t: Termination) => void;
  const terminated = new Promise<Termination>((resolve) => (resolveTerminated = resolve));
  const run = async () => {
    const deadline = clock.monotonic() + parts.timeoutMs;
    const halfway = clock.setTimeout(
      () => parts.giveUp.abort(new Error("the stop ran out of time")),
      parts.timeoutMs / 2,
    );
    const late: string[] = [];
    const within = async (what: string, work: () => Promise<unknown>) => {
      if (!await runWithin(work, deadline - clock.monotonic(), clock)) late.push(what);
    };
    await within("leaving the consumer groups", () => parts.topology.stopInputs());
    await system.shutdown({ timeoutMs: Math.max(0, deadline - clock.monotonic()) });
    await within("closing the Kafka producer", () => parts.topology.close());
    await within("closing the HTTP server", parts.closeHttp);
    clock.clearTimeout(halfway);
    late.push(...await closeStores(parts.stores, { ...parts, deadline }));
    const t = await system.terminated;
    if (late.length > 0) log.error("the stop ran out of time", { unfinished: late });
    resolveTerminated(
      late.length === 0 ? t : {
        ok: false,
        error: t.error ?? new Error(`shutdown did not finish: ${late.join(", ")}`),
      },
    );
  };
  const sequence = {
    stopping: false,
    terminated,
    stop: () => {
      sequence.stopping = true;
      return stopped ??= run();
    },
  };
  system.terminated.then((t) => {
    if (!t.ok && !sequence.stopping) void sequence.stop();
  });
  return sequence;
}

/**
 * Closes the stores once every sink has stopped, within what is left of the stop's deadline.
 * Dead letters that arrived after their sinks had stopped (the webhook's undelivered alerts, rows
 * of a store given up late) are written to the stores that keep them first; what cannot be written
 * in time is counted as given up. Each store is bounded on its own: a dead server must not keep
 * the healthy stores from closing (and flushing).
 */
async function closeStores(
  stores: readonly Store[],
  deps: { routes: SinkRoutes; ledger: GiveUpLedger; log: Logger; clock: Clock; deadline: number },
): Promise<string[]> {
  const { routes, ledger, log, clock, deadline } = deps;
  const left = () => deadline - clock.monotonic();
  const unfinished: string[] = [];
  // A store whose sink already gave up (down through the stop) is not waited for: its loss is in
  // the ledger, and its client may need until the deadline to notice it cannot close cleanly.
  const failed = new Set(ledger.entries().map((e) => e.where));
  const close = async (store: Store) => {
    const closed = runWithin(() => store.close(), left(), clock);
    if (failed.has(`sink-${store.name}`)) return;
    if (!await closed) unfinished.push(`closing ${store.name}`);
  };
  // Closing the webhook dead-letters the alerts it could not deliver: with the sinks gone, the
  // routes hold them for the writes below.
  const keepers = stores.filter((s) => typeof s.writeDeadLetters === "function");
  await Promise.all(stores.filter((s) => !keepers.includes(s)).map(close));
  const late = routes.takeLate();
  await Promise.all(keepers.map(async (store) => {
    const letters = late.get(store) ?? [];
    let lost: unknown = failed.has(`sink-${store.name}`) && letters.length > 0
      ? new Error(`${store.name} gave up earlier in this stop`)
      : null;
    const write = () =>
      lost !== null || letters.length === 0
        ? Promise.resolve()
        : store.writeDeadLetters!(letters).catch((error) => {
          lost = error;
        });
    if (!await runWithin(write, left(), clock)) lost = new Error("the stop ran out of time");
    if (lost !== null) {
      log.error("dead letters lost at shutdown", {
        store: store.name,
        n: letters.length,
        error: lost,
      });
      ledger.record(`sink-${store.name}`, "dead_letters", letters.length, lost);
    }
    await close(store);
  }));
  return unfinished;
}
