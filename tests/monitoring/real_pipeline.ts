/**
 * Real pipeline runs for the monitoring tests: the product's own `startPipeline` in-process, with
 * its HTTP server (/metrics) on a free loopback port, fed by the monitoring replay or the
 * simulator, writing to a test ClickHouse in a per-run database.
 * @module
 */
import type { Pipeline } from "../../src/pipeline/pipeline.ts";
import { runId } from "../helpers/services.ts";
import { startTestPipeline, testConfig } from "../helpers/test_pipeline.ts";
import { monitoringReplay } from "./monitoring_replay.ts";

/** A running pipeline and what a scrape config needs to reach it. */
export interface RealPipeline {
  readonly pipeline: Pipeline;
  /** `127.0.0.1:<port>` serving /metrics. */
  readonly target: string;
  /** The pipeline's /metrics text right now. */
  metrics(): Promise<string>;
  /** Stops the pipeline and removes its temporary directory; idempotent. */
  stop(): Promise<void>;
}

/** Starts a pipeline from command-line `args` plus a temp SQLite file and an HTTP port. */
export async function startRealPipeline(args: readonly string[]): Promise<RealPipeline> {
  const dir = await Deno.makeTempDir({ prefix: "monpipe_" });
  const config = testConfig([
    `--sqlite=${dir}/pipeline.db`,
    "--http=127.0.0.1:0",
    "--ui=off",
    ...args,
  ]);
  let pipeline: Pipeline;
  try {
    pipeline = await startTestPipeline(config);
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
  const target = `127.0.0.1:${pipeline.http!.port}`;
  let stopped: Promise<void> | null = null;
  return {
    pipeline,
    target,
    async metrics() {
      const res = await fetch(`http://${target}/metrics`);
      if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
      return await res.text();
    },
    stop: () =>
      stopped ??= (async () => {
        await pipeline.stop();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      })(),
  };
}

/**
 * Runs the monitoring replay (written to a temp file) through a pipeline into ClickHouse
 * database `database` and waits until everything is stored. The pipeline keeps running (its HTTP
 * server up) until stopped. Extra `args` are appended.
 */
export async function runReplayPipeline(options: {
  clickhouseUrl: string;
  database: string;
  args?: readonly string[];
  nowMs?: number;
  drainTimeoutMs?: number;
}): Promise<RealPipeline> {
  const file = await Deno.makeTempFile({ prefix: "monreplay_", suffix: ".ndjson" });
  try {
    await Deno.writeTextFile(file, monitoringReplay(options.nowMs ?? Date.now()).lines.join("\n"));
    const run = await startRealPipeline([
      "--source=replay",
      `--replay-file=${file}`,
      `--clickhouse-url=${options.clickhouseUrl}`,
      `--clickhouse-database=${options.database}`,
      // Raw ticks go to ClickHouse too: with the ticks table disabled the ClickHouse sink
      // rejects every tick batch and the replay never drains (reported to the storage owner).
      "--clickhouse-ticks",
      "--partitions=2",
      // The forecast panels (off by default) need predictions and scored forecasts.
      "--forecast-models=ewma,garch,ridge",
      "--learned-anomaly",
      ...(options.args ?? []),
    ]);
    try {
      await withDeadline(run.pipeline.drained, options.drainTimeoutMs ?? 30_000, "replay drained");
    } catch (err) {
      await run.stop();
      throw err;
    }
    return run;
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/** Resolves as `promise` does, or rejects once `ms` pass (the timer never outlives it). */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A per-run ClickHouse database name. */
export function runDatabase(prefix: string): string {
  return `${prefix}_${runId()}`;
}

/** A fake alert webhook that refuses every delivery with 400 (a fatal, not retried, error). */
export function startRefusingWebhook(): { url: string; requests(): number; stop(): Promise<void> } {
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    requests++;
    await req.body?.cancel();
    return new Response("invalid_payload", { status: 400 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    requests: () => requests,
    stop: () => server.shutdown(),
  };
}
