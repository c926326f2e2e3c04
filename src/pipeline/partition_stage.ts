/**
 * The per-partition processing stage: a window stage feeding an analytics stage, both bound to
 * the sink routes and the latest view. The memory bus spawns one per partition at start, with the
 * window work in this thread; the Kafka process role spawns one per assigned partition, with the
 * window work on the shared window worker, and stops it on revocation.
 * @module
 */
import {
  type AnalyticsSettings,
  createCandleAnalytics,
  createCandleAnalyticsOn,
  createTickRules,
} from "../../actors/analytics/analytics_logic.ts";
import type { ForecastWorkerClient } from "../../actors/analytics/forecast_worker_client.ts";
import {
  type AnalyticsMessage,
  candleAnalyticsProps,
} from "../../actors/analytics/analytics_stage.ts";
import { forecastScoreSink } from "../../actors/analytics/forecast_metrics.ts";
import { barrier } from "../../actors/barrier.ts";
import { LocalWindowRunner, type WindowRunner } from "../../actors/windows/window_runner.ts";
import {
  type WindowDownstream,
  type WindowMessage,
  windowStageProps,
} from "../../actors/windows/window_stage.ts";
import type { TickStats } from "../../actors/windows/tick_stats.ts";
import type { WindowWorkerClient } from "../../actors/windows/window_worker_client.ts";
import type { WindowWorkerSettings } from "../../actors/windows/window_worker_protocol.ts";
import { WorkerWindowRunner } from "../../actors/windows/worker_window_runner.ts";
import type { Clock } from "../clock.ts";
import type { PipelineConfig } from "../config/pipeline_config.ts";
import { COINCAP_REST_DEFAULTS } from "../feeds/coincap_rest.ts";
import type { LatestView } from "../http/latest_view.ts";
import type { Interval } from "../market/interval.ts";
import type { ActorRef } from "../runtime/actor_ref.ts";
import type { Props } from "../runtime/props.ts";
import type { SupervisionOptions } from "../runtime/supervision.ts";
import type { ActorSystem } from "../runtime/system.ts";
import { histogram, type Registry } from "../telemetry/metrics.ts";
import type { SinkRoutes } from "./sink_routes.ts";

/** What every partition stage shares. */
export interface StageContext {
  readonly system: ActorSystem;
  readonly config: PipelineConfig;
  readonly intervals: readonly Interval[];
  readonly registry: Registry;
  readonly clock: Clock;
  readonly latest: LatestView;
  readonly routes: SinkRoutes;
  /** Live input: idle timeouts and the processing-time stale-feed check run. */
  readonly live: boolean;
  /** Send raw ticks to the raw-tick stores (false in Kafka mode: the archive role does). */
  readonly archiveTicks: boolean;
  /**
   * The forecast worker, started on first use; null: forecasts (if on) run in the analytics
   * stages' thread (`--forecast-thread=false`).
   */
  readonly forecastWorker: (() => ForecastWorkerClient) | null;
}

/** One partition's running stage. */
export interface PartitionStage {
  readonly windows: ActorRef<WindowMessage>;
  readonly analytics: ActorRef<AnalyticsMessage>;
}

/** Where a partition's input comes from and so where its window work runs. */
export type PartitionInput =
  /** Ticks from the memory bus: window work in this thread. */
  | { readonly kind: "memory"; readonly partition: number }
  /**
   * A Kafka partition (`of` the topic's partitions): window work on the shared worker. `failed`
   * is told when either stage fails: the stages stop instead of restarting from empty state, and
   * the role takes the partition back to its commit (see {@linkcode replayFromCommit}).
   */
  | {
    readonly kind: "kafka";
    readonly partition: number;
    readonly of: number;
    readonly worker: WindowWorkerClient;
    readonly failed: (error: unknown) => void;
  };

/**
 * Records a partition may queue before its consumer waits: a Kafka batch is up to
 * `maxBytesPerPartition` (1 MiB, several thousand records), so a few of them bound memory.
 */
const RECORD_BATCHES_QUEUED = 8;

/** Spawns the analytics stage, then the window stage that feeds it. */
export function spawnPartitionStage(ctx: StageContext, input: PartitionInput): PartitionStage {
  const { config } = ctx;
  const partitions = input.kind === "memory" ? config.bus.partitions : input.of;
  const supervision = input.kind === "kafka" ? replayFromCommit(input.failed) : undefined;
  const analytics = spawnAnalytics(ctx, input.partition, partitions, supervision);
  const maxSymbols = symbolsPerPartition(config, partitions);
  const settings = analyticsSettings(ctx, partitions);
  const runner = input.kind === "memory"
    ? (stats: TickStats) => createLocal(ctx, stats, maxSymbols, settings)
    : () => new WorkerWindowRunner(input.worker, input.partition, input.of, maxSymbols);
  const windowProps = windowStageProps(
    {
      partition: input.partition,
      idleTimeoutMs: ctx.live ? config.windows.idleTimeoutMs : 0,
      checkStale: ctx.live,
      capacity: input.kind === "memory" ? config.bus.capacity : RECORD_BATCHES_QUEUED,
      batchSize: input.kind === "memory" ? 1024 : 8,
    },
    {
      registry: ctx.registry,
      now: () => ctx.clock.now(),
      runner,
      downstream: windowDownstream(ctx, analytics, input.kind === "kafka"),
    },
  );
  const windows = ctx.system.spawn(withSupervision(windowProps, supervision));
  return { windows, analytics };
}

/**
 * The supervision of a Kafka partition's stages. The default restarts a failed stage with a
 * fresh instance, which here would mean empty windows and indicators while the input goes on:
 * wrong candles for every window open at the failure, committed past and never mended. A Kafka
 * partition can do what a memory bus cannot: read its input again. So a failed stage stops (its
 * queued batches are uncommitted, and dropped as replayable, dead_letter_relay.ts) and `failed`
 * is told, for the role to restore the partition from its commit as a new owner does.
 */
export function replayFromCommit(failed: (error: unknown) => void): SupervisionOptions {
  return {
    decide: (error) => {
      failed(error);
      return "stop";
    },
  };
}

function withSupervision<M>(props: Props<M>, supervision?: SupervisionOptions): Props<M> {
  return supervision ? { ...props, supervision } : props;
}

function createLocal(
  ctx: StageContext,
  stats: TickStats,
  maxSymbols: number,
  settings: AnalyticsSettings,
): WindowRunner {
  const { config } = ctx;
  return new LocalWindowRunner(
    {
      intervals: ctx.intervals,
      allowedLatenessMs: config.windows.allowedLatenessMs,
      lateUpdateWindowMs: config.windows.lateUpdateWindowMs,
      maxSymbols,
      composite: config.composite,
      instruments: instrumentsOf(config),
    },
    stats,
    createTickRules(settings),
  );
}

/** The settings a window worker needs to serve this pipeline's partitions. */
export function windowWorkerSettings(ctx: StageContext): WindowWorkerSettings {
  const { config } = ctx;
  return {
    intervals: ctx.intervals,
    allowedLatenessMs: config.windows.allowedLatenessMs,
    lateUpdateWindowMs: config.windows.lateUpdateWindowMs,
    staleAfterMs: feedStaleAfterMs(config),
    composite: config.composite,
    instruments: instrumentsOf(config),
    ...(config.symbols ? { allowList: [...config.symbols] } : {}),
  };
}

function spawnAnalytics(
  ctx: StageContext,
  partition: number,
  partitions: number,
  supervision: SupervisionOptions | undefined,
): ActorRef<AnalyticsMessage> {
  const { routes, latest } = ctx;
  const props = candleAnalyticsProps(
    { partition, capacity: 256 },
    {
      registry: ctx.registry,
      analytics: () => {
        const settings = analyticsSettings(ctx, partitions);
        return ctx.forecastWorker
          ? createCandleAnalyticsOn(ctx.forecastWorker(), partition, settings)
          : createCandleAnalytics(settings);
      },
      downstream: {
        candles: (rows) => {
          for (const c of rows) latest.candle(c);
          return routes.candles(rows);
        },
        indicators: (rows) => {
          for (const r of rows) latest.indicators(r);
          return routes.indicators(rows);
        },
        alerts: (rows) => {
          for (const a of rows) latest.alert(a);
          return routes.alerts(rows);
        },
        predictions: (rows) => {
          for (const p of rows) latest.prediction(p);
          return routes.predictions(rows);
        },
        barrier: routes.barrier,
      },
    },
  );
  return ctx.system.spawn(withSupervision(props, supervision));
}

function windowDownstream(
  ctx: StageContext,
  analytics: ActorRef<AnalyticsMessage>,
  replayable: boolean,
): WindowDownstream {
  const { routes, latest } = ctx;
  const delay = latestPriceDelay(ctx.registry);
  return {
    candles: (rows) => analytics.tell({ kind: "candles", rows, replayable }),
    ticks: ctx.archiveTicks ? routes.allTicks : routes.latestPrices,
    deadLetters: routes.deadLetters,
    alerts: (rows) => {
      for (const a of rows) latest.alert(a);
      return routes.alerts(rows);
    },
    latest: (ticks, count) => {
      latest.ticks(ticks, count);
      let newest = -Infinity;
      for (const t of ticks) if (t.ts > newest) newest = t.ts;
      if (newest > -Infinity) delay.observe(Math.max(0, ctx.clock.now() - newest) / 1000);
    },
    barrier: (kind) => barrier(analytics, kind),
  };
}

/** Event time of a batch's newest tick to its price in the latest view (the read API's source). */
function latestPriceDelay(registry: Registry): { observe(seconds: number): void } {
  return histogram(registry, {
    name: "pipeline_latest_price_delay_seconds",
    help: "Event time of the newest tick of a batch to its price visible in the latest view",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 60],
  });
}

/**
 * The analytics of one partition, bounded like its window state: per-symbol rule and indicator
 * state for at most its share of `--max-symbols` (the least recently active goes first).
 */
export function analyticsSettings(ctx: StageContext, partitions: number): AnalyticsSettings {
  const symbols = symbolsPerPartition(ctx.config, partitions);
  const venues = ctx.config.analyticsVenues;
  const series = symbols * ctx.intervals.length * venues.length;
  return {
    venues,
    indicators: { maxSeries: series },
    anomalies: {
      staleAfterMs: feedStaleAfterMs(ctx.config),
      maxSymbols: symbols,
      maxSeries: series,
    },
    forecasts: ctx.config.forecasts,
    forecastScores: forecastScoreSink(ctx.registry),
  };
}

/**
 * The instruments configuration renamed, by venue and the symbol they were given: Binance's symbol
 * map (`BTC-USDT=BTC-USD` → binance / BTC-USD was BTC-USDT). Several mapped onto one symbol are
 * listed together, comma-separated.
 */
export function instrumentsOf(config: PipelineConfig): Record<string, Record<string, string>> {
  const map = config.feeds.binance?.symbolMap ?? {};
  const bySymbol: Record<string, string[]> = {};
  for (const [instrument, symbol] of Object.entries(map)) {
    (bySymbol[symbol] ??= []).push(instrument);
  }
  const binance = Object.fromEntries(
    Object.entries(bySymbol).map(([symbol, list]) => [symbol, list.sort().join(",")]),
  );
  return Object.keys(binance).length === 0 ? {} : { binance };
}

/** Each partition's share of `--max-symbols` when the input has `partitions` partitions. */
export function symbolsPerPartition(config: PipelineConfig, partitions: number): number {
  return Math.ceil(config.windows.maxSymbols / Math.max(1, partitions));
}

/**
 * The `feed_stale` threshold: the rule's 60 s, or two CoinCap poll intervals when CoinCap is a
 * source (polled over REST, or as the WebSocket's fallback). CoinCap yields one tick per poll, none
 * when a cached response repeats the last one, so at its default 60 s interval a 60 s threshold
 * would raise false `feed_stale` alerts between polls.
 */
export function feedStaleAfterMs(config: PipelineConfig): number {
  if (!config.sources.includes("coincap")) return 60_000;
  const poll = config.feeds.coincapRest.pollIntervalMs ?? COINCAP_REST_DEFAULTS.pollIntervalMs;
  return Math.max(60_000, 2 * poll);
}
