/**
 * Builds and runs one pipeline instance from its config: stores → sink actors → analytics →
 * window aggregators → bus → source actors (spawned downstream-first, so a graceful shutdown stops
 * the sources first and drains every stage into the stores). `src/main.ts` adds the process
 * concerns (config loading, signals, exit codes); tests start pipelines in-process through here.
 * @module
 */
import { createCandleAnalytics, createTickRules } from "../actors/aggregators/analytics_logic.ts";
import {
  type AnalyticsMessage,
  candleAnalyticsProps,
} from "../actors/aggregators/candle_analytics.ts";
import {
  type AggregatorMessage,
  windowAggregatorProps,
} from "../actors/aggregators/window_aggregator.ts";
import { sourceActorProps } from "../actors/fetchers/source_actor.ts";
import type { RecordKind, SinkMessage } from "../actors/sinks/sink_message.ts";
import { storeAccepts, storeSinkProps } from "../actors/sinks/store_sink.ts";
import { MemoryBus } from "./bus/memory_bus.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { PipelineConfig } from "./config/pipeline_config.ts";
import { ClickHouseStore } from "./connectors/clickhouse/clickhouse_store.ts";
import { PostgresStore } from "./connectors/postgres/postgres_store.ts";
import { RedisStore } from "./connectors/redis/redis_store.ts";
import { WebhookClient } from "./connectors/webhook/webhook_client.ts";
import { SqliteReader } from "./connectors/sqlite/sqlite_reader.ts";
import { SqliteStore } from "./connectors/sqlite/sqlite_store.ts";
import type { Store } from "./connectors/store.ts";
import { createReplay, type ReplayProgress } from "./feeds/replay.ts";
import { createSimulator, DEFAULT_SIMULATED_SYMBOLS } from "./feeds/simulator.ts";
import { createLiveSource } from "./feeds/feed_env.ts";
import type { Source, TickOutput } from "./feeds/source.ts";
import { type HttpServer, startHttpServer } from "./http/http_server.ts";
import { LatestView } from "./http/latest_view.ts";
import type { ReadApi } from "./http/read_api.ts";
import type { Logger } from "./logger.ts";
import type { DeadLetter } from "./market/dead_letter.ts";
import { parseIntervals } from "./market/interval.ts";
import { TickParser } from "./market/tick_parser.ts";
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
  /** Resolves once every finite source ended and all its results are durable; never for live feeds. */
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
  const stores = await openStores(config, deps, registry, log, (d) => deadLetterSink(d));
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
      void deadLetterSinks.tell(deadLetterOf(letter.actor, letter.message, letter.error, clock));
    },
  });

  // Sinks first: everything upstream sends to them.
  const sinks = stores.map((store) =>
    system.spawn(storeSinkProps(`sink-${store.name}`, store, {}, { registry }))
  );
  const route = (kind: RecordKind) =>
    fanOut(sinks.filter((_, i) => storeAccepts(stores[i], kind)), kind);
  const toSinks = {
    ticks: fanOut(
      sinks.filter((_, i) => takesTicks(stores[i], config.storage.storeTicks)),
      "ticks",
    ),
    candles: route("candles"),
    indicators: route("indicators"),
    alerts: route("alerts"),
    deadLetters: route("dead_letters"),
    flush: () => Promise.all(sinks.map((s) => barrier<SinkMessage>(s))).then(() => {}),
  };
  const deadLetterSinks = { tell: (d: DeadLetter) => toSinks.deadLetters([d]) };
  deadLetterSink = (d) => void deadLetterSinks.tell(d);

  const intervals = parseIntervals(config.intervals.join(","));
  const bus = new MemoryBus({ partitions: config.bus.partitions });
  const finite = config.sources.every((s) => s === "replay");
  const aggregators: ActorRef<AggregatorMessage>[] = [];
  for (let p = 0; p < bus.partitions; p++) {
    const analytics: ActorRef<AnalyticsMessage> = system.spawn(candleAnalyticsProps(
      { partition: p, capacity: 256 },
      {
        registry,
        analytics: () => createCandleAnalytics(),
        downstream: {
          candles: (rows) => {
            for (const c of rows) latest.candle(c);
            return toSinks.candles(rows);
          },
          indicators: (rows) => {
            for (const r of rows) latest.indicators(r);
            return toSinks.indicators(rows);
          },
          alerts: (rows) => {
            for (const a of rows) latest.alert(a);
            return toSinks.alerts(rows);
          },
          flush: toSinks.flush,
        },
      },
    ));
    const aggregator = system.spawn(windowAggregatorProps(
      {
        partition: p,
        intervals,
        allowedLatenessMs: config.windows.allowedLatenessMs,
        lateUpdateWindowMs: config.windows.lateUpdateWindowMs,
        idleTimeoutMs: finite ? 0 : config.windows.idleTimeoutMs,
        checkStale: !finite,
        capacity: config.bus.capacity,
      },
      {
        registry,
        now: () => clock.now(),
        tickRules: () => createTickRules(),
        downstream: {
          candles: (rows) => tellAndWait(analytics, { kind: "candles", rows }),
          ticks: toSinks.ticks,
          deadLetters: toSinks.deadLetters,
          alerts: (rows) => {
            for (const a of rows) latest.alert(a);
            return toSinks.alerts(rows);
          },
          latest: (ticks) => {
            for (const t of ticks) latest.tick(t);
          },
          flush: () => barrier<AnalyticsMessage>(analytics),
        },
      },
    ));
    bus.attach(p, aggregator);
    aggregators.push(aggregator);
  }

  let endedSources = 0;
  let resolveDrained!: () => void;
  const drained = new Promise<void>((resolve) => (resolveDrained = resolve));
  const onSourceEnd = () => {
    if (++endedSources < config.sources.length) return;
    log.info("all finite sources ended: flushing open windows");
    Promise.all(aggregators.map((a) => barrier<AggregatorMessage>(a))).then(() => {
      log.info("all results are stored");
      resolveDrained();
    });
  };
  const parser = new TickParser({
    allowList: config.symbols ? new Set(config.symbols) : undefined,
    now: () => clock.now(),
  });
  const output: TickOutput = {
    tick: (t) => bus.publish(t),
    deadLetter: (d) => toSinks.deadLetters([d]),
  };
  for (const source of createSources(config, { clock, parser, deps, log, registry })) {
    system.spawn(sourceActorProps(source, { restartable: source.name !== "replay" }, {
      output,
      onEnd: onSourceEnd,
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
    })
    : null;
  if (http) log.info("http listening", { url: `http://${http.hostname}:${http.port}` });

  let stopped: Promise<void> | null = null;
  const stop = () =>
    stopped ??= (async () => {
      stopping = true;
      await system.shutdown({ timeoutMs: config.shutdownTimeoutMs });
      await http?.close();
      for (const store of stores) await store.close().catch(() => {});
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
    drained,
    terminated: system.terminated,
    stop,
  };
}

async function openStores(
  config: PipelineConfig,
  deps: PipelineDeps,
  registry: Registry,
  log: Logger,
  deadLetter: (letter: DeadLetter) => void,
): Promise<Store[]> {
  const stores: Store[] = [];
  const s = config.storage;
  try {
    if (s.sqlitePath) stores.push(new SqliteStore({ path: s.sqlitePath, registry }));
    if (s.databaseUrl) {
      stores.push(
        new PostgresStore({ url: s.databaseUrl, registry, logger: log.child("postgres") }),
      );
    }
    if (s.clickhouseUrl) {
      stores.push(
        new ClickHouseStore({
          url: s.clickhouseUrl,
          database: s.clickhouseDatabase,
          ticks: s.clickhouseTicks && s.storeTicks,
          registry,
          logger: log.child("clickhouse"),
        }),
      );
    }
    if (s.redisUrl) {
      stores.push(new RedisStore({ url: s.redisUrl, registry, logger: log.child("redis") }));
    }
    if (config.alertWebhookUrl) {
      const hook = new WebhookClient({
        url: config.alertWebhookUrl,
        registry,
        logger: log.child("webhook"),
        clock: deps.clock,
        onDeadLetter: deadLetter,
      });
      stores.push({
        name: hook.name,
        migrate: () => Promise.resolve(),
        writeAlerts: (alerts) => hook.writeAlerts(alerts),
        close: () => hook.close(),
      });
    }
    stores.push(...(deps.extraStores ?? []));
    for (const store of stores) {
      await store.migrate();
      log.info("store ready", { store: store.name });
    }
    return stores;
  } catch (e) {
    for (const store of stores) await store.close().catch(() => {});
    throw e;
  }
}

/**
 * Whether `store` receives tick batches: raw-tick tables only with `--store-ticks`; Redis always,
 * since it keeps the latest price per symbol from them.
 */
function takesTicks(store: Store, storeTicks: boolean): boolean {
  return storeAccepts(store, "ticks") && (storeTicks || store.name === "redis");
}

function createSources(
  config: PipelineConfig,
  ctx: { clock: Clock; parser: TickParser; deps: PipelineDeps; log: Logger; registry: Registry },
): Source[] {
  return config.sources.map((name) => {
    switch (name) {
      case "simulator": {
        const universe = config.symbols
          ? DEFAULT_SIMULATED_SYMBOLS.filter((s) => config.symbols!.includes(s.symbol))
          : DEFAULT_SIMULATED_SYMBOLS;
        return createSimulator({
          seed: config.simulator.seed,
          ticksPerSecond: config.simulator.ticksPerSecond,
          symbols: universe,
        }, { clock: ctx.clock });
      }
      case "replay":
        return createReplay(
          { file: config.replay.file!, speed: config.replay.speed },
          { clock: ctx.clock, parser: ctx.parser, onProgress: ctx.deps.onReplayProgress },
        );
      default:
        return createLiveSource(name, config.feeds, {
          clock: ctx.clock,
          logger: ctx.log.child(`feed.${name}`),
          registry: ctx.registry,
          parser: ctx.parser,
        });
    }
  });
}

/** Sends `rows` of `kind` to every ref; the result is a promise only when one of them is full. */
function fanOut<T>(refs: readonly ActorRef<SinkMessage>[], kind: RecordKind) {
  return (rows: T[]): void | Promise<void> => {
    if (rows.length === 0 || refs.length === 0) return;
    let waits: Promise<void>[] | null = null;
    for (const ref of refs) {
      const pending = ref.tell({ kind, rows } as SinkMessage);
      if (pending) (waits ??= []).push(pending);
    }
    if (waits) return Promise.all(waits).then(() => {});
  };
}

function tellAndWait<M>(ref: ActorRef<M>, message: M): void | Promise<void> {
  return ref.tell(message);
}

/** Sends a flush barrier and resolves once the actor has passed it. */
function barrier<M>(ref: ActorRef<M>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    try {
      const pending = ref.tell({ kind: "flush", done: resolve } as M);
      if (pending) pending.catch(reject);
    } catch (e) {
      reject(e);
    }
  });
}

function deadLetterOf(actor: string, message: unknown, error: unknown, clock: Clock): DeadLetter {
  let raw: string;
  try {
    raw = JSON.stringify(message)?.slice(0, 65_536) ?? String(message);
  } catch {
    raw = String(message);
  }
  return {
    reason: "delivery_failed",
    detail: `${actor}: ${(error as Error)?.message ?? String(error)}`,
    raw,
    source: actor,
    ts: clock.now(),
  };
}
