/**
 * The settings every WebSocket feed shares, and the glue from a venue's frame handler to
 * {@linkcode runWebSocketLoop} (metrics, emitter, backoff, budget).
 * @module
 */
import { Backoff, ConnectBudget } from "../connectors/backoff.ts";
import { checkPositive } from "./feed_config.ts";
import { type FeedDeps, TickEmitter } from "./feed_context.ts";
import { FeedMetrics } from "./feed_metrics.ts";
import type { TickOutput } from "./source.ts";
import { runWebSocketLoop, type WsConnection } from "./ws_connection.ts";
import type { Logger } from "../logger.ts";

/** Connection settings of a WebSocket feed (all ms unless noted). */
export interface WsFeedConfig {
  /** No frame for this long forces a reconnect. */
  idleTimeoutMs: number;
  /** Opening handshake bound. */
  connectTimeoutMs: number;
  /** First reconnect delay (doubles per failure, jittered by up to half). */
  reconnectInitialMs: number;
  /** Reconnect delay cap. */
  reconnectMaxMs: number;
  /** At most this many connection attempts per `connectWindowMs` (0 = unlimited). */
  maxConnectsPerWindow: number;
  connectWindowMs: number;
  /** Planned reconnect at this connection age (0 = never). */
  maxConnectionAgeMs: number;
  /** A connection that lived this long resets the backoff. */
  stableAfterMs: number;
  /** Frames waiting for downstream beyond this force a reconnect. */
  maxQueuedFrames: number;
  /** Larger frames (UTF-8 bytes) are dead-lettered as `too_large` (a 1 KiB prefix is kept). */
  maxFrameBytes: number;
  /** Recent trade ids remembered per symbol to drop replays after reconnects (0 = off). */
  dedupeCapacity: number;
}

/** Defaults of {@linkcode WsFeedConfig}; venues override some. */
export const WS_FEED_DEFAULTS: WsFeedConfig = Object.freeze({
  idleTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  reconnectInitialMs: 1_000,
  reconnectMaxMs: 60_000,
  maxConnectsPerWindow: 30,
  connectWindowMs: 300_000,
  maxConnectionAgeMs: 0,
  stableAfterMs: 60_000,
  maxQueuedFrames: 10_000,
  maxFrameBytes: 1 << 20,
  dedupeCapacity: 1_000,
});

/** Problems of the {@linkcode WsFeedConfig} part of a config. */
export function checkWsFeed(c: WsFeedConfig): string[] {
  return [
    ...checkPositive("idleTimeoutMs", c.idleTimeoutMs),
    ...checkPositive("connectTimeoutMs", c.connectTimeoutMs),
    ...checkPositive("reconnectInitialMs", c.reconnectInitialMs),
    ...checkPositive("reconnectMaxMs", c.reconnectMaxMs),
    ...(c.reconnectMaxMs < c.reconnectInitialMs
      ? ['option "reconnectMaxMs" must be ≥ reconnectInitialMs']
      : []),
    ...checkPositive("maxConnectsPerWindow", c.maxConnectsPerWindow, true),
    ...checkPositive("connectWindowMs", c.connectWindowMs),
    ...checkPositive("maxConnectionAgeMs", c.maxConnectionAgeMs, true),
    ...checkPositive("stableAfterMs", c.stableAfterMs, true),
    ...checkPositive("maxQueuedFrames", c.maxQueuedFrames),
    ...checkPositive("maxFrameBytes", c.maxFrameBytes),
    ...checkPositive("dedupeCapacity", c.dedupeCapacity, true),
  ];
}

/** What a venue supplies for one run. */
export interface WsVenue {
  readonly url: string;
  onOpen?(conn: WsConnection): void;
  onFrame(text: string, conn: WsConnection): void | Promise<void>;
}

/** What a venue's handler gets to work with. */
export interface WsVenueContext {
  readonly emit: TickEmitter;
  readonly metrics: FeedMetrics;
  readonly logger: Logger;
}

/**
 * Runs one WebSocket feed until `signal` aborts or a handler finishes the loop; returns the
 * handler's `finish` result.
 */
export async function runWsFeed(
  name: string,
  config: WsFeedConfig,
  deps: FeedDeps,
  output: TickOutput,
  signal: AbortSignal,
  venue: (ctx: WsVenueContext) => WsVenue,
  maxConnectFailures?: number,
): Promise<string | undefined> {
  const logger = deps.logger.child(name);
  const metrics = new FeedMetrics(deps.registry, name, deps.clock);
  const emit = new TickEmitter(name, output, {
    parser: deps.parser,
    clock: deps.clock,
    metrics,
    dedupeCapacity: config.dedupeCapacity,
  });
  const v = venue({ emit, metrics, logger });
  try {
    return await runWebSocketLoop({
      url: v.url,
      clock: deps.clock,
      logger,
      metrics,
      backoff: new Backoff(
        {
          initialMs: config.reconnectInitialMs,
          maxMs: config.reconnectMaxMs,
          factor: 2,
          jitter: 0.5,
        },
        deps.random,
      ),
      budget: config.maxConnectsPerWindow > 0
        ? new ConnectBudget({ max: config.maxConnectsPerWindow, windowMs: config.connectWindowMs })
        : undefined,
      idleTimeoutMs: config.idleTimeoutMs,
      connectTimeoutMs: config.connectTimeoutMs,
      maxConnectionAgeMs: config.maxConnectionAgeMs,
      stableAfterMs: config.stableAfterMs,
      maxQueuedFrames: config.maxQueuedFrames,
      maxConnectFailures,
      onOpen: v.onOpen,
      onFrame: v.onFrame,
    }, signal);
  } finally {
    metrics.close();
  }
}

/** `value` as a string id, or undefined when absent (so the validator reports `missing_field`). */
export function idOf(value: unknown): string | undefined {
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}
