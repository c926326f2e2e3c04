/**
 * Builds the feeds the config names: simulator, replay, or the live exchange and CoinCap clients.
 * @module
 */
import type { Clock } from "../clock.ts";
import type { PipelineConfig } from "../config/pipeline_config.ts";
import { createLiveSource } from "../feeds/feed_env.ts";
import { createReplay, type ReplayProgress } from "../feeds/replay.ts";
import { createSimulator, DEFAULT_SIMULATED_SYMBOLS } from "../feeds/simulator.ts";
import type { Source } from "../feeds/source.ts";
import type { Logger } from "../logger.ts";
import type { TickParser } from "../market/tick_parser.ts";
import type { Registry } from "../telemetry/metrics.ts";

/** One source per `--source` entry. */
export function createSources(
  config: PipelineConfig,
  ctx: {
    clock: Clock;
    parser: TickParser;
    onReplayProgress?: ReplayProgress;
    log: Logger;
    registry: Registry;
  },
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
          warmupMs: config.simulator.warmupMs,
          silenceProbability: config.simulator.silenceProbability,
          symbols: universe,
        }, { clock: ctx.clock });
      }
      case "replay":
        return createReplay(
          {
            file: config.replay.file!,
            speed: config.replay.speed,
            maxLineBytes: config.replay.maxLineBytes,
          },
          { clock: ctx.clock, parser: ctx.parser, onProgress: ctx.onReplayProgress },
        );
      default:
        return createLiveSource(name, config.feeds, {
          clock: ctx.clock,
          logger: ctx.log.child("feed"), // each feed adds its own name
          registry: ctx.registry,
          parser: ctx.parser,
        });
    }
  });
}
