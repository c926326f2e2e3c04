/**
 * The `process` role as the Kafka benches run it: one consumer-group member with no store and no
 * HTTP, on `client`, started in this process.
 * @module
 */
import { loadConfig } from "../src/config/load_config.ts";
import { silentLogger } from "../src/logger.ts";
import { type Pipeline, startPipeline } from "../src/pipeline/pipeline.ts";

/** Starts a `process` member of `group` on the brokers at `bootstrap`. */
export function startBenchProcessRole(
  bootstrap: string,
  group: string,
  client: string,
): Promise<Pipeline> {
  const r = loadConfig({
    args: [
      "--role=process",
      `--kafka-client=${client}`,
      `--kafka-producer-client=${client}`,
      `--kafka-brokers=${bootstrap}`,
      `--kafka-group=${group}`,
      "--kafka-session-timeout=6s",
      "--sqlite=",
      "--http=off",
    ],
    env: () => undefined,
  });
  if (r.kind !== "ok") throw new Error(JSON.stringify(r));
  return startPipeline(r.config, { logger: silentLogger });
}
