/**
 * Builds and runs one pipeline instance from its config: stores → sink actors → per-partition
 * stages (window aggregator → analytics) → bus → source actors, spawned downstream-first so a
 * graceful shutdown stops the sources first and drains every stage into the stores. With Kafka
 * brokers configured the bus is Kafka and the roles split the work (src/pipeline/kafka_roles.ts).
 * `src/main.ts` adds the process concerns (signals, exit codes); tests start pipelines in-process.
 * @module
 */
import type { AggregatorMessage } from "../actors/aggregators/window_aggregator.ts";
import { sourceActorProps } from "../actors/fetchers/source_actor.ts";
import { MemoryBus } from "./bus/memory_bus.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { PipelineConfig } from "./config/pipeline_config.ts";
import { ClickHouseReadApi } from "./connectors/clickhouse/clickhouse_read_api.ts";
import { ClickHouseStore } from "./connectors/clickhouse/clickhouse_store.ts";
import { clickhouseHistory, sqliteHistory } from "./pipeline/candle_history.ts";
import { SqliteReader } from "./connectors/sqlite/sqlite_reader.ts";
import { SqliteStore } from "./connectors/sqlite/sqlite_store.ts";
import type { Store } from "./connectors/store.ts";
import type { ReplayProgress } from "./feeds/replay.ts";
import type { TickOutput } from "./feeds/source.ts";
import { type HttpServer, startHttpServer } from "./http/http_server.ts";
import { LatestView } from "./http/latest_view.ts";
import type { ReadApi } from "./http/read_api.ts";
import type { Logger } from "./logger.ts";
import type { DeadLetter } from "./market/dead_letter.ts";
import { parseIntervals } from "./market/interval.ts";
import { TickParser } from "./market/tick_parser.ts";
import { connectKafka, type KafkaConnection, startKafkaRoles } from "./pipeline/kafka_roles.ts";
import { GiveUpLedger } from "./pipeline/give_up_ledger.ts";
import { barrier, deadLetterOf } from "./pipeline/messaging.ts";
import { runWithin } from "./pipeline/run_within.ts";
import { spawnPartitionStage, type StageContext } from "./pipeline/partition_stage.ts";
import { type SinkRoutes, spawnSinks } from "./pipeline/sink_routes.ts";
import { createSources } from "./pipeline/sources.ts";
import { openStores } from "./pipeline/stores.ts";
import type { ActorRef } from "./runtime/actor_ref.ts";
import { createActorSystem, type DeadLetterEnvelope, type Termination } from "./runtime/system.ts";
import { createRegistry, gauge, type Registry } from "./telemetry/metrics.ts";

/** Program version, reported in `pipeline_build_info`. */
export const VERSION = "0.1.0";

/** What the composition root may inject. */
export interface PipelineDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly registry?: Registry;
  /** Replay progress, for the TTY progress bar. */
  readonly onReplayProgress?: ReplayProgress;
  /** Extra stores (tests inject slow or failing ones). */
  readonly extraStores?: readonly Store[];
}

/** A running instance. */
export interface Pipeline {
  readonly config: PipelineConfig;
  readonly registry: Registry;
  readonly latest: LatestView;
  readonly http: HttpServer | null;
  /** The read API: the embedded store's reader, else ClickHouse's, else null. */
  readonly read: ReadApi | null;
  /**
   * What the run gave up so far (rows a store refused or could not take before a stop ran out of
   * time, messages the runtime discarded). Non-zero: results are missing from a store.
   */
  readonly givenUp: GiveUpLedger;
  /**
   * Resolves once every finite source ended and all its results are durable (memory bus), or,
   * in Kafka mode, once this instance produced its whole input and processed every end-of-input
   * marker of the partitions it owns. Never for live feeds.
   */
  readonly drained: Promise<void>;
  /**
   * Resolves once the pipeline has stopped (after {@linkcode Pipeline.stop}, which a root
   * escalation also starts): `ok: false` after an escalation or a stop that ran past
   * `--shutdown-timeout` and was forced.
   */
  readonly terminated: Promise<Termination>;
  /**
   * Graceful stop: sources first, drain every stage, flush the stores, close everything, within
   * `--shutdown-timeout`. Halfway through, a store still failing is given up (its rows become
   * dead letters elsewhere and are counted in {@linkcode Pipeline.givenUp}); at the deadline what
   * is still running is stopped hard and `terminated` reports it.
   */
  stop(): Promise<void>;
}

/** Starts a pipeline. Rejects (after closing what it opened) when a store cannot be prepared. */
export async function startPipeline(config: PipelineConfig, deps: PipelineDeps): Promise<Pipeline> {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger;
  const registry = deps.registry ?? createRegistry();
  gauge(registry, {
    name: "pipeline_build_info",
    help: "1, labelled with the version and role of this instance",
    labelNames: ["version", "role"],
  }).set({ version: VERSION, role: config.role }, 1);

  const ledger = new GiveUpLedger(registry);
  const giveUp = new AbortController();
  let deadLetterSink: (letter: DeadLetter) => void = () => {};
  let failedMessage: (letter: DeadLetterEnvelope) => void = () => {};
  const kafka: KafkaConnection | null = config.kafkaBrokers
    ? await connectKafka(config, { log, registry })
    : null;
  const stores = await openStores(
    config,
    {
      ...deps,
      extraStores: [...(kafka?.topicStore ? [kafka.topicStore] : []), ...(deps.extraStores ?? [])],
    },
    registry,
    log,
    (d) => deadLetterSink(d),
  ).catch(async (e) => {
    await kafka?.producer.stop().catch(() => {});
    throw e;
  });
  const sqlite = stores.find((s): s is SqliteStore => s instanceof SqliteStore);
  const clickhouse = stores.find((s): s is ClickHouseStore => s instanceof ClickHouseStore);
  const latest = new LatestView({ maxSymbols: config.windows.maxSymbols });
  const system = createActorSystem({
    name: "pipeline",
    registry,
    logger: log.child("actors"),
    clock,
    deadLetters: (letter) => {
      log.error("message given up, moved to dead letters", {
        actor: letter.actor,
        attempts: letter.attempts,
        error: letter.error,
      });
      failedMessage(letter);
    },
  });

  // Sinks first: everything upstream sends to them.
  const routes = spawnSinks(system, stores, {
    registry,
    storeTicks: config.storage.storeTicks,
    ledger,
    log,
    giveUp: giveUp.signal,
    // Halfway through the stop failing stores are given up; a write still in flight gets an
    // eighth of the timeout, leaving the last quarter for the rest of the stop.
    giveUpWriteMs: config.shutdownTimeoutMs / 8,
  });
  // Only the webhook client hands dead letters to openStores' callback, and it counts them itself.
  deadLetterSink = (d) => {
    if (d.reason === "delivery_failed") ledger.record(`sink-${d.source}`, "alerts", 1, d.detail);
    void routes.keepDeadLetters([d]);
  };
  failedMessage = (letter) => givenUpMessage(letter, { routes, ledger, clock });
  const stage: StageContext = {
    system,
    config,
    intervals: parseIntervals(config.intervals.join(",")),
    registry,
    clock,
    latest,
    routes,
    live: !config.sources.every((s) => s === "replay"),
    archiveTicks: !config.kafkaBrokers,
  };
  const parser = new TickParser({
    allowList: config.symbols ? new Set(config.symbols) : undefined,
    now: () => clock.now(),
  });

  let resolveDrained!: () => void;
  const drained = new Promise<void>((resolve) => (resolveDrained = resolve));
  let beforeShutdown = () => Promise.resolve();
  let afterShutdown = () => Promise.resolve();
  let output: TickOutput;
  let onSourcesEnded: () => Promise<void>;
  if (kafka) {
    const history = clickhouse
      ? clickhouseHistory(clickhouse, config.storage.clickhouseDatabase)
      : sqlite
      ? sqliteHistory(new SqliteReader(sqlite.db))
      : null;
    const roles = startKafkaRoles(kafka, {
      stage,
      parser,
      log,
      onDrained: resolveDrained,
      history,
    });
    output = roles.output;
    onSourcesEnded = roles.endOfInput;
    beforeShutdown = roles.stopConsumers;
    afterShutdown = roles.close;
  } else {
    const bus = new MemoryBus({ partitions: config.bus.partitions });
    const aggregators: ActorRef<AggregatorMessage>[] = [];
    for (let p = 0; p < bus.partitions; p++) {
      const { aggregator } = spawnPartitionStage(stage, p);
      bus.attach(p, aggregator);
      aggregators.push(aggregator);
    }
    output = { tick: (t) => bus.publish(t), deadLetter: (d) => routes.deadLetters([d]) };
    onSourcesEnded = async () => {
      log.info("all finite sources ended: flushing open windows");
      await Promise.all(aggregators.map((a) => barrier<AggregatorMessage>(a)));
      if (ledger.total === 0) log.info("all results are stored");
      else log.error("input ended, but results were given up", { given_up: ledger.entries() });
      resolveDrained();
    };
  }

  const sources = config.role === "all" || config.role === "ingest"
    ? createSources(config, {
      clock,
      parser,
      onReplayProgress: deps.onReplayProgress,
      log,
      registry,
    })
    : [];
  let endedSources = 0;
  for (const source of sources) {
    system.spawn(sourceActorProps(source, { restartable: source.name !== "replay" }, {
      output,
      onEnd: () => {
        if (++endedSources === sources.length) void onSourcesEnded();
      },
    }));
  }

  let stopping = false;
  let terminatedAlready = false;
  system.terminated.then(() => (terminatedAlready = true));
  // The embedded store when there is one; else ClickHouse, which every instance shares.
  const read = sqlite
    ? new SqliteReader(sqlite.db)
    : clickhouse
    ? new ClickHouseReadApi(clickhouse.client, config.storage.clickhouseDatabase)
    : null;
  const http = config.http
    ? await startHttpServer({
      ...config.http,
      registry,
      latest,
      read,
      intervals: config.intervals,
      health: () => ({ ok: !terminatedAlready, detail: { role: config.role } }),
      ready: () => !stopping && !terminatedAlready,
    })
    : null;
  if (http) log.info("http listening", { url: `http://${http.hostname}:${http.port}` });

  let stopped: Promise<void> | null = null;
  let resolveTerminated!: (t: Termination) => void;
  const terminated = new Promise<Termination>((resolve) => (resolveTerminated = resolve));
  const stop = () =>
    stopped ??= (async () => {
      stopping = true;
      const deadline = clock.monotonic() + config.shutdownTimeoutMs;
      // Halfway: a store still failing is given up, so the healthy ones get their rows in time.
      const halfway = clock.setTimeout(
        () => giveUp.abort(new Error("the stop ran out of time")),
        config.shutdownTimeoutMs / 2,
      );
      const late: string[] = [];
      const within = async (what: string, work: () => Promise<unknown>) => {
        if (!await runWithin(work, deadline - clock.monotonic(), clock)) late.push(what);
      };
      await within("leaving the consumer groups", beforeShutdown);
      await system.shutdown({ timeoutMs: Math.max(0, deadline - clock.monotonic()) });
      await within("closing the Kafka producer", afterShutdown);
      await within("closing the HTTP server", () => http?.close() ?? Promise.resolve());
      clock.clearTimeout(halfway);
      late.push(...await closeStores(stores, { routes, ledger, log, clock, deadline }));
      const t = await system.terminated;
      if (late.length > 0) log.error("the stop ran out of time", { unfinished: late });
      resolveTerminated(
        late.length === 0 ? t : {
          ok: false,
          error: t.error ?? new Error(`shutdown did not finish: ${late.join(", ")}`),
        },
      );
    })();
  system.terminated.then((t) => {
    if (!t.ok && !stopping) void stop();
  });
  return {
    config,
    registry,
    latest,
    http,
    read,
    givenUp: ledger,
    drained,
    terminated,
    stop,
  };
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

/**
 * A message the runtime gave up on (failed K times, or left in a mailbox of an actor stopped
 * hard). A barrier waiting on it fails instead of hanging. Data is counted in the ledger and kept
 * as dead letters: a sink's rows as dead letters of their own (the other stores keep them), ticks
 * as one dead letter each. Control messages (a crash report, a timer) carry no data: logged only.
 * Kafka record batches are not counted either: unprocessed, they stay uncommitted, and the
 * partition's next owner processes them.
 */
function givenUpMessage(
  letter: DeadLetterEnvelope,
  deps: { routes: SinkRoutes; ledger: GiveUpLedger; clock: Clock },
): void {
  const m = letter.message as
    | { kind?: unknown; rows?: unknown; fail?: unknown; symbol?: unknown; price?: unknown }
    | null;
  if (typeof m?.fail === "function") (m.fail as (e: unknown) => void)(letter.error);
  const detail = `${letter.actor}: ${(letter.error as Error)?.message ?? letter.error}`;
  const rows = Array.isArray(m?.rows) && m.kind !== "warmup" ? m.rows as unknown[] : null;
  if (letter.actor.startsWith("sink-")) {
    if (rows === null || typeof m?.kind !== "string") return; // a barrier: failed above
    deps.ledger.record(letter.actor, m.kind, rows.length, letter.error);
    void deps.routes.keepDeadLetters(
      m.kind === "dead_letters" ? rows as DeadLetter[] : rows.map((row) => ({
        reason: "delivery_failed",
        detail,
        raw: JSON.stringify(row),
        source: letter.actor,
        ts: deps.clock.now(),
      })),
    );
    return;
  }
  const isTick = typeof m?.symbol === "string" && typeof m?.price === "number";
  if (rows === null && !isTick) return;
  // Actor names end in a partition number: the family keeps the metric's labels bounded.
  const family = letter.actor.replace(/-\d+$/, "");
  deps.ledger.record(
    family,
    rows === null ? "ticks" : String(m?.kind),
    rows?.length ?? 1,
    letter.error,
  );
  void deps.routes.deadLetters([
    deadLetterOf(letter.actor, letter.message, letter.error, deps.clock),
  ]);
}
