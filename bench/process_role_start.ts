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

/**
 * When the role's consumer handed on its first record (`performance.now()`; 0 until then), polled
 * every 2 ms from its `pipeline_kafka_messages_consumed_total`: the raw clients' clocks start at
 * their first batch too. Timing the role from its first processed tick instead would leave out
 * the time its first batches wait for the window worker, while the consumer already fetches on.
 */
export function watchFirstRecord(pipeline: Pipeline): { readonly at: number; stop(): void } {
  const metric = pipeline.registry.getSingleMetric("pipeline_kafka_messages_consumed_total");
  if (!metric) {
    throw new Error("the process role publishes no pipeline_kafka_messages_consumed_total");
  }
  const watch = { at: 0, stop: () => clearInterval(timer) };
  let polling = false;
  const timer = setInterval(async () => {
    if (watch.at !== 0 || polling) return;
    polling = true;
    const seen = performance.now();
    const { values } = await metric.get();
    if (values.some((v) => v.value > 0)) {
      watch.at = seen;
      clearInterval(timer);
    }
    polling = false;
  }, 2);
  return watch;
}
