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
import { barrier, deadLetterOf } from "./pipeline/messaging.ts";
import { spawnPartitionStage, type StageContext } from "./pipeline/partition_stage.ts";
import { spawnSinks } from "./pipeline/sink_routes.ts";
import { createSources } from "./pipeline/sources.ts";
import { openStores } from "./pipeline/stores.ts";
import type { ActorRef } from "./runtime/actor_ref.ts";
import { createActorSystem, type Termination } from "./runtime/system.ts";
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
  /** The embedded store's reader, when SQLite is enabled. */
  readonly read: ReadApi | null;
  /**
   * Resolves once every finite source ended and all its results are durable (memory bus), or,
   * in Kafka mode, once this instance produced its whole input and processed every end-of-input
   * marker of the partitions it owns. Never for live feeds.
   */
  readonly drained: Promise<void>;
  /** Resolves when the actor system stops; `ok: false` after a root escalation. */
  readonly terminated: Promise<Termination>;
  /** Graceful stop: sources first, drain every stage, flush the stores, close everything. */
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

  let deadLetterSink: (letter: DeadLetter) => void = () => {};
  let failedMessage: (letter: DeadLetter) => void = () => {};
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
  const latest = new LatestView();
  const system = createActorSystem({
    name: "pipeline",
    registry,
    logger: log.child("actors"),
    clock,
    deadLetters: (letter) => {
      log.error("message failed repeatedly, moved to dead letters", {
        actor: letter.actor,
        attempts: letter.attempts,
        error: letter.error,
      });
      if (letter.actor.startsWith("sink-")) return; // the stores are what failed
      failedMessage(deadLetterOf(letter.actor, letter.message, letter.error, clock));
    },
  });

  // Sinks first: everything upstream sends to them.
  const routes = spawnSinks(system, stores, { registry, storeTicks: config.storage.storeTicks });
  // Only the webhook client hands dead letters to openStores' callback, and it counts them itself.
  deadLetterSink = (d) => void routes.keepDeadLetters([d]);
  failedMessage = (d) => void routes.deadLetters([d]);
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
    const clickhouse = stores.find((s): s is ClickHouseStore => s instanceof ClickHouseStore);
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
      log.info("all results are stored");
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
  const read = sqlite ? new SqliteReader(sqlite.db) : null;
  const http = config.http
    ? await startHttpServer({
      ...config.http,
      registry,
      latest,
      read,
      intervals: config.intervals,
      health: () => ({ ok: !terminatedAlready, detail: { role: config.role } }),
      ready: () => !stopping && !terminatedAlready,
      log: log.child("http"),
    })
    : null;
  if (http) log.info("http listening", { url: `http://${http.hostname}:${http.port}` });

  let stopped: Promise<void> | null = null;
  const stop = () =>
    stopped ??= (async () => {
      stopping = true;
      await beforeShutdown();
      await system.shutdown({ timeoutMs: config.shutdownTimeoutMs });
      await afterShutdown();
      await http?.close();
      // Closing the webhook dead-letters the alerts it could not deliver; the sink actors are
      // gone by now, so those letters go straight to the stores that keep dead letters, which
      // are closed last.
      const late: DeadLetter[] = [];
      deadLetterSink = (d) => void late.push(d);
      const keepers = stores.filter((s) => typeof s.writeDeadLetters === "function");
      for (const store of stores) {
        if (!keepers.includes(store)) await store.close().catch(() => {});
      }
      for (const store of keepers) {
        if (late.length) {
          await store.writeDeadLetters!(late).catch((error) =>
            log.error("dead letters lost at shutdown", { store: store.name, n: late.length, error })
          );
        }
        await store.close().catch(() => {});
      }
    })();
  system.terminated.then((t) => {
    if (!t.ok && !stopping) void stop();
  });
  return { config, registry, latest, http, read, drained, terminated: system.terminated, stop };
}
