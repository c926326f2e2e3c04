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
 * `onFirst` runs at that poll (the scale-out bench reads the CPU clock there). `seconds()` is the
 * time from then, and throws when no record was seen: a figure without a start would be wrong.
 */
export function watchFirstRecord(
  pipeline: Pipeline,
  onFirst?: () => void,
): { readonly at: number; seconds(): number; stop(): void } {
  const metric = pipeline.registry.getSingleMetric("pipeline_kafka_messages_consumed_total");
  if (!metric) {
    throw new Error("the process role publishes no pipeline_kafka_messages_consumed_total");
  }
  let failure: unknown = null;
  const watch = {
    at: 0,
    seconds() {
      if (failure !== null) throw failure;
      if (watch.at === 0) throw new Error("the process role consumed no record");
      return (performance.now() - watch.at) / 1000;
    },
    stop: () => clearInterval(timer),
  };
  let polling = false;
  const timer = setInterval(async () => {
    if (watch.at !== 0 || polling) return;
    polling = true;
    const seen = performance.now();
    try {
      const { values } = await metric.get();
      if (values.some((v) => v.value > 0)) {
        watch.at = seen;
        clearInterval(timer);
        onFirst?.();
      }
    } catch (e) {
      failure = e;
      clearInterval(timer);
    }
    polling = false;
  }, 2);
  return watch;
}
