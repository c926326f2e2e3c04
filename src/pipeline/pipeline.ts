/**
 * Builds and runs one pipeline instance from its config: stores → sink actors → per-partition
 * stages (window stage → analytics) → bus → source actors, spawned downstream-first so a graceful
 * shutdown stops the sources first and drains every stage into the stores. Without Kafka brokers
 * the bus is the memory bus (memory_topology.ts); with them the roles split the work
 * (kafka/kafka_roles.ts). `src/main.ts` adds the process concerns (signals, exit codes); tests
 * start pipelines in-process. docs/architecture.md draws the whole flow.
 * @module
 */
import { sourceActorProps } from "../../actors/sources/source_actor.ts";
import { ForecastWorkerSlot } from "../../actors/analytics/forecast_worker_client.ts";
import { type Clock, systemClock } from "../clock.ts";
import {
  type PipelineConfig,
  runsAnalytics,
  usesForecastWorker,
} from "../config/pipeline_config.ts";
import { ClickHouseReadApi } from "../connectors/clickhouse/clickhouse_read_api.ts";
import { ClickHouseStore } from "../connectors/clickhouse/clickhouse_store.ts";
import type { ReadApi } from "../connectors/read_api.ts";
import { SqliteReader } from "../connectors/sqlite/sqlite_reader.ts";
import { spoolPathOf } from "../connectors/sqlite/sqlite_paths.ts";
import { SqliteStore } from "../connectors/sqlite/sqlite_store.ts";
import type { Store } from "../connectors/store.ts";
import type { ReplayProgress } from "../feeds/replay.ts";
import { dashboardUrl, type HttpServer, startHttpServer } from "../http/http_server.ts";
import { type HealthSummary, healthSummary } from "../http/health_summary.ts";
import { LatestView } from "../http/latest_view.ts";
import { MarketStream } from "../http/market_stream.ts";
import { SseHub } from "../http/sse_hub.ts";
import { sseMetrics } from "../http/sse_metrics.ts";
import type { Logger } from "../logger.ts";
import { type Interval, parseIntervals } from "../market/interval.ts";
import { TickParser } from "../market/tick_parser.ts";
import type { ActorSystem, Termination } from "../runtime/system.ts";
import { createActorSystem } from "../runtime/system.ts";
import { createRegistry, gauge, type Registry } from "../telemetry/metrics.ts";
import { type CandleHistory, clickhouseHistory, sqliteHistory } from "./candle_history.ts";
import { DeadLetterRelay } from "./dead_letter_relay.ts";
import { DeliverySpool } from "./delivery_spool.ts";
import { GiveUpLedger } from "./give_up_ledger.ts";
import { connectKafka, type KafkaConnection, startKafkaRoles } from "./kafka/kafka_roles.ts";
import { startMemoryTopology } from "./memory_topology.ts";
import type { StageContext } from "./partition_stage.ts";
import { spawnSinks } from "./sink_routes.ts";
import { tapRoutes } from "./tapped_routes.ts";
import { createSources } from "./sources.ts";
import { createStopSequence, type StopSequence } from "./stop_sequence.ts";
import { openStores } from "./stores.ts";
import type { Topology } from "./topology.ts";

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
   * The actor system the stages run on (names in docs/runtime.md and the `actor` label of the
   * metrics): for embedding programs that inspect or add actors, and for fault-injection tests.
   */
  readonly system: ActorSystem;
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
  const spool = spoolOf(config, log);
  const relay = new DeadLetterRelay(ledger, clock, spool);
  const giveUp = new AbortController();
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
    relay.webhook,
  ).catch(async (e) => {
    await kafka?.producer.stop().catch(() => {});
    throw e;
  });
  const sqlite = stores.find((s): s is SqliteStore => s instanceof SqliteStore);
  // What the last run could not deliver before its stop ran out of time goes out first.
  await spool?.redeliver(stores).catch((error) =>
    log.error("delivery spool not read; it is tried again at the next start", { error })
  );
  const latest = new LatestView({
    maxSymbols: config.windows.maxSymbols,
    venue: config.analyticsVenues[0],
  });
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
      relay.runtime(letter);
    },
  });

  const intervals = parseIntervals(config.intervals.join(","));
  const dashboard = dashboardOf(config, registry, intervals, latest);
  // Sinks first: everything upstream sends to them.
  const sinkRoutes = spawnSinks(system, stores, {
    registry,
    storeTicks: config.storage.storeTicks,
    ledger,
    log,
    giveUp: giveUp.signal,
    // Halfway through the stop failing stores are given up; a write still in flight gets an
    // eighth of the timeout, leaving the last quarter for the rest of the stop.
    giveUpWriteMs: config.shutdownTimeoutMs / 8,
    allowedLatenessMs: config.windows.allowedLatenessMs,
    spool,
  });
  const routes = dashboard ? tapRoutes(sinkRoutes, dashboard.tap) : sinkRoutes;
  relay.connect(routes);
  const forecastWorker = usesForecastWorker(config) ? new ForecastWorkerSlot() : null;
  const stage: StageContext = {
    system,
    config,
    intervals,
    registry,
    clock,
    latest,
    routes,
    live: !config.sources.every((s) => s === "replay"),
    archiveTicks: !config.kafkaBrokers,
    forecastWorker: forecastWorker ? () => forecastWorker.get() : null,
  };
  // Started by the first analytics stage (none in the ingest and archive roles); no stage asks
  // once the actors have stopped.
  system.terminated.then(() => forecastWorker?.terminate());
  const parser = new TickParser({
    allowList: config.symbols ? new Set(config.symbols) : undefined,
    now: () => clock.now(),
    // Where the windows' ticks come through this parser (embedded; roles all and process when
    // their windows run in-thread), it reads their ids for the candle aggregator.
    idNumbers: runsAnalytics(config),
  });

  const drained = Promise.withResolvers<void>();
  const topology = kafka
    ? startKafkaRoles(kafka, {
      stage,
      parser,
      log,
      onDrained: drained.resolve,
      history: candleHistoryOf(stores, config),
    })
    : startMemoryTopology(stage, { log, ledger, onDrained: drained.resolve });
  startSources(config, {
    system,
    topology,
    clock,
    parser,
    log,
    registry,
    onReplayProgress: deps.onReplayProgress,
  });

  let terminatedAlready = false;
  system.terminated.then(() => (terminatedAlready = true));
  // The embedded store when there is one; else ClickHouse, which every instance shares.
  const clickhouse = stores.find((s): s is ClickHouseStore => s instanceof ClickHouseStore);
  const read = sqlite
    ? new SqliteReader(sqlite.db)
    : clickhouse
    ? new ClickHouseReadApi(clickhouse.client, config.storage.clickhouseDatabase)
    : null;
  let sequence: StopSequence | null = null;
  let http: HttpServer | null = null;
  const stopParts = {
    timeoutMs: config.shutdownTimeoutMs,
    clock,
    log,
    system,
    topology,
    stores,
    routes,
    ledger,
    giveUp,
    closeHttp: () => {
      dashboard?.tap.close();
      return http?.close() ?? Promise.resolve();
    },
  };
  try {
    http = config.http
      ? await startHttpServer({
        ...config.http,
        registry,
        latest,
        read,
        intervals: config.intervals,
        role: config.role,
        venue: config.analyticsVenues[0],
        venues: config.analyticsVenues,
        stream: dashboard?.hub ?? null,
        healthSummary: dashboard?.health ??
          (() => healthSummary(registry, { role: config.role, now: Date.now() })),
        health: () => ({ ok: !terminatedAlready, detail: { role: config.role } }),
        ready: () => !sequence?.stopping && !terminatedAlready,
        log: log.child("http"),
      })
      : null;
  } catch (error) {
    // The HTTP server did not start (its port taken, say): what did start — sources, actors,
    // consumer groups, stores, the forecast worker — stops before the cause is reported, so an
    // embedding program is left with nothing running.
    await createStopSequence(stopParts).stop();
    throw error;
  }
  if (http) {
    log.info("http listening; dashboard there", { url: dashboardUrl(http) });
  }
  sequence = createStopSequence(stopParts);
  return {
    config,
    registry,
    latest,
    http,
    read,
    givenUp: ledger,
    system,
    drained: drained.promise,
    terminated: sequence.terminated,
    stop: sequence.stop,
  };
}

/**
 * The dashboard's live stream (with `--http` and `--dashboard-clients` > 0): the hub the browsers
 * connect to and the tap in front of the sink routes that feeds it.
 */
function dashboardOf(
  config: PipelineConfig,
  registry: Registry,
  intervals: readonly Interval[],
  latest: LatestView,
): { hub: SseHub; tap: MarketStream; health: () => Promise<HealthSummary> } | null {
  if (!config.http || config.dashboardClients === 0) return null;
  const hub = new SseHub({ maxClients: config.dashboardClients }, {
    observer: sseMetrics(registry),
  });
  const health = async (): Promise<HealthSummary> => ({
    ...await healthSummary(registry, { role: config.role, now: Date.now() }),
    recentDeadLetters: tap.recentDeadLetters(),
  });
  const tap = new MarketStream(hub, {
    intervals,
    venue: config.analyticsVenues[0],
    maxSymbols: config.windows.maxSymbols,
    health,
    prices: () => latest.snapshot(),
  });
  return { hub, tap, health };
}

/** Where a new Kafka owner warms its analytics from: ClickHouse when configured, else SQLite. */
function candleHistoryOf(stores: readonly Store[], config: PipelineConfig): CandleHistory | null {
  const clickhouse = stores.find((s): s is ClickHouseStore => s instanceof ClickHouseStore);
  const venues = config.analyticsVenues;
  // The ridge model's cross-source spread is computed from every venue's candles.
  const options = { everyVenue: config.forecasts.models.includes("ridge") };
  if (clickhouse) {
    return clickhouseHistory(clickhouse, config.storage.clickhouseDatabase, venues, options);
  }
  const sqlite = stores.find((s): s is SqliteStore => s instanceof SqliteStore);
  return sqlite ? sqliteHistory(new SqliteReader(sqlite.db), venues, options) : null;
}

/**
 * Spawns one actor per configured source (roles `all` and `ingest`); once every finite source has
 * ended, the topology's end of input runs.
 */
function startSources(
  config: PipelineConfig,
  deps: {
    system: ActorSystem;
    topology: Topology;
    clock: Clock;
    parser: TickParser;
    log: Logger;
    registry: Registry;
    onReplayProgress?: ReplayProgress;
  },
): void {
  if (config.role !== "all" && config.role !== "ingest") return;
  const sources = createSources(config, deps);
  let ended = 0;
  for (const source of sources) {
    deps.system.spawn(sourceActorProps(source, { restartable: source.name !== "replay" }, {
      output: deps.topology.output,
      onEnd: () => {
        if (++ended === sources.length) void deps.topology.endOfInput();
      },
    }));
  }
}

/**
 * The delivery spool of an embedded pipeline with a SQLite file (see delivery_spool.ts). None in
 * Kafka mode, where undelivered results stay uncommitted and the log is the spool.
 */
function spoolOf(config: PipelineConfig, log: Logger): DeliverySpool | undefined {
  const path = config.storage.sqlitePath;
  if (config.kafkaBrokers || !path || path === ":memory:") return undefined;
  return new DeliverySpool(spoolPathOf(path), log.child("spool"));
}
