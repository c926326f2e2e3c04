/**
 * The per-partition processing stage: a window aggregator feeding an analytics actor, both bound
 * to the sink routes and the latest view. The memory bus spawns one per partition at start; the
 * Kafka process role spawns one per assigned partition and stops it on revocation.
 * @module
 */
import {
  type AnalyticsSettings,
  createCandleAnalytics,
  createTickRules,
} from "../../actors/aggregators/analytics_logic.ts";
import {
  type AnalyticsMessage,
  candleAnalyticsProps,
} from "../../actors/aggregators/candle_analytics.ts";
import {
  type RecordAggregatorMessage,
  recordAggregatorProps,
} from "../../actors/aggregators/record_aggregator.ts";
import {
  type AggregatorDownstream,
  type AggregatorMessage,
  windowAggregatorProps,
} from "../../actors/aggregators/window_aggregator.ts";
import type { WindowWorkerClient } from "../../actors/aggregators/window_worker_client.ts";
import type { WindowWorkerSettings } from "../../actors/aggregators/window_worker_protocol.ts";
import type { Clock } from "../clock.ts";
import type { PipelineConfig } from "../config/pipeline_config.ts";
import { COINCAP_REST_DEFAULTS } from "../feeds/coincap_rest.ts";
import type { LatestView } from "../http/latest_view.ts";
import type { Interval } from "../market/interval.ts";
import type { ActorRef } from "../runtime/actor_ref.ts";
import type { ActorSystem } from "../runtime/system.ts";
import type { Registry } from "../telemetry/metrics.ts";
import { barrier } from "./messaging.ts";
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
}

/** One partition's running stage; `M` is what its aggregator takes (ticks or record batches). */
export interface PartitionStage<M = AggregatorMessage> {
  readonly aggregator: ActorRef<M>;
  readonly analytics: ActorRef<AnalyticsMessage>;
}

/** Spawns the analytics actor, then the aggregator that feeds it with ticks. */
export function spawnPartitionStage(ctx: StageContext, partition: number): PartitionStage {
  const { config } = ctx;
  const analytics = spawnAnalytics(ctx, partition, config.bus.partitions);
  const aggregator = ctx.system.spawn(windowAggregatorProps(
    {
      partition,
      intervals: ctx.intervals,
      allowedLatenessMs: config.windows.allowedLatenessMs,
      lateUpdateWindowMs: config.windows.lateUpdateWindowMs,
      maxSymbols: symbolsPerPartition(config, config.bus.partitions),
      idleTimeoutMs: ctx.live ? config.windows.idleTimeoutMs : 0,
      checkStale: ctx.live,
      capacity: config.bus.capacity,
    },
    {
      registry: ctx.registry,
      now: () => ctx.clock.now(),
      tickRules: () => createTickRules(analyticsSettings(ctx, config.bus.partitions)),
      downstream: aggregatorDownstream(ctx, analytics),
    },
  ));
  return { aggregator, analytics };
}

/**
 * Spawns the analytics actor, then a record aggregator that feeds it from raw Kafka record
 * batches decoded and aggregated on `worker` (see actors/aggregators/record_aggregator.ts).
 * `partition.of` is the topic's partition count (each partition holds its share of symbols).
 */
export function spawnRecordStage(
  ctx: StageContext,
  partition: { readonly id: number; readonly of: number },
  worker: WindowWorkerClient,
): PartitionStage<RecordAggregatorMessage> {
  const { config } = ctx;
  const analytics = spawnAnalytics(ctx, partition.id, partition.of);
  const aggregator = ctx.system.spawn(recordAggregatorProps(
    {
      partition: partition.id,
      maxSymbols: symbolsPerPartition(config, partition.of),
      idleTimeoutMs: ctx.live ? config.windows.idleTimeoutMs : 0,
      checkStale: ctx.live,
      capacity: RECORD_BATCHES_QUEUED,
    },
    {
      registry: ctx.registry,
      now: () => ctx.clock.now(),
      worker,
      downstream: aggregatorDownstream(ctx, analytics),
    },
  ));
  return { aggregator, analytics };
}

/**
 * Record batches a partition may queue before its consumer waits: a Kafka batch is up to
 * `maxBytesPerPartition` (1 MiB, several thousand records), so a few of them bound memory.
 */
const RECORD_BATCHES_QUEUED = 8;

/** The settings a window worker needs to serve this pipeline's partitions. */
export function windowWorkerSettings(ctx: StageContext): WindowWorkerSettings {
  const { config } = ctx;
  return {
    intervals: ctx.intervals,
    allowedLatenessMs: config.windows.allowedLatenessMs,
    lateUpdateWindowMs: config.windows.lateUpdateWindowMs,
    staleAfterMs: feedStaleAfterMs(config),
    ...(config.symbols ? { allowList: [...config.symbols] } : {}),
  };
}

function spawnAnalytics(
  ctx: StageContext,
  partition: number,
  partitions: number,
): ActorRef<AnalyticsMessage> {
  const { routes, latest } = ctx;
  return ctx.system.spawn(candleAnalyticsProps(
    { partition, capacity: 256 },
    {
      registry: ctx.registry,
      analytics: () => createCandleAnalytics(analyticsSettings(ctx, partitions)),
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
        flush: routes.flush,
        sync: routes.sync,
      },
    },
  ));
}

function aggregatorDownstream(
  ctx: StageContext,
  analytics: ActorRef<AnalyticsMessage>,
): AggregatorDownstream {
  const { routes, latest } = ctx;
  return {
    candles: (rows) => analytics.tell({ kind: "candles", rows }),
    ticks: ctx.archiveTicks ? routes.allTicks : routes.latestPrices,
    deadLetters: routes.deadLetters,
    alerts: (rows) => {
      for (const a of rows) latest.alert(a);
      return routes.alerts(rows);
    },
    latest: (ticks, count) => latest.ticks(ticks, count),
    flush: () => barrier<AnalyticsMessage>(analytics),
    sync: () => barrier<AnalyticsMessage>(analytics, "sync"),
  };
}

/**
 * The analytics of one partition, bounded like its window state: per-symbol rule and indicator
 * state for at most its share of `--max-symbols` (the least recently active goes first).
 */
export function analyticsSettings(ctx: StageContext, partitions: number): AnalyticsSettings {
  const symbols = symbolsPerPartition(ctx.config, partitions);
  const series = symbols * ctx.intervals.length;
  return {
    indicators: { maxSeries: series },
    anomalies: {
      staleAfterMs: feedStaleAfterMs(ctx.config),
      maxSymbols: symbols,
      maxSeries: series,
    },
  };
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
