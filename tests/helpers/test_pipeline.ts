/**
 * The pipeline in the test's own process, configured from command-line flags the way `main.ts`
 * does it (no environment, no `.env`), logging nowhere.
 * @module
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/load_config.ts";
import type { PipelineConfig } from "../../src/config/pipeline_config.ts";
import { SqliteStore } from "../../src/connectors/sqlite/sqlite_store.ts";
import { silentLogger } from "../../src/logger.ts";
import { type Pipeline, type PipelineDeps, startPipeline } from "../../src/pipeline/pipeline.ts";

/** The environment variables a test run passes on to every test pipeline. */
const CLIENT_ENV = ["KAFKA_CLIENT", "KAFKA_PRODUCER_CLIENT"];

/**
 * The configuration `args` give with no environment (or with `env`); throws with every error
 * when the loader refuses them.
 */
export function testConfig(
  args: readonly string[],
  env: (name: string) => string | undefined = () => undefined,
): PipelineConfig {
  // The Kafka clients come from the test run's own KAFKA_CLIENT and KAFKA_PRODUCER_CLIENT unless
  // the test sets them: CI runs the Kafka suite once per combination (docs/kafka.md).
  const withClient = (name: string) =>
    env(name) ?? (CLIENT_ENV.includes(name) ? Deno.env.get(name) : undefined);
  const r = loadConfig({ args: [...args], env: withClient });
  if (r.kind !== "ok") throw new Error(`config: ${JSON.stringify(r)}`);
  return r.config;
}

/** What a test may add to the pipeline's dependencies (the logger is always silent). */
export type TestPipelineDeps = Omit<PipelineDeps, "logger">;

/** Starts the pipeline configured by `args` (a loaded config is taken as it is). */
export function startTestPipeline(
  args: readonly string[] | PipelineConfig,
  deps: TestPipelineDeps = {},
): Promise<Pipeline> {
  const config = isArgs(args) ? testConfig(args) : args;
  return startPipeline(config, { logger: silentLogger, ...deps });
}

/**
 * Runs a finite input to the end: starts the pipeline, waits until it has drained, lets
 * `beforeStop` look at the running pipeline, then stops it (also when a step failed). Returns the
 * stopped pipeline, for `terminated` and `givenUp`.
 */
export async function runToEnd(
  args: readonly string[] | PipelineConfig,
  options: TestPipelineDeps & { beforeStop?: (p: Pipeline) => Promise<unknown> } = {},
): Promise<Pipeline> {
  const { beforeStop, ...deps } = options;
  const pipeline = await startTestPipeline(args, deps);
  try {
    await pipeline.drained;
    await beforeStop?.(pipeline);
  } finally {
    await pipeline.stop();
  }
  return pipeline;
}

/** Asserts that `pipeline` stopped cleanly (no escalation, no forced stop), naming the error. */
export async function assertCleanStop(pipeline: Pipeline): Promise<void> {
  const t = await pipeline.terminated;
  assert.ok(t.ok, `clean stop: ${t.error}`);
}

/**
 * Replays `lines` (written to `dir/ticks.ndjson`) through an embedded pipeline into the SQLite
 * file `db` to the end, and asserts a clean stop; `args` add options.
 */
export async function replayIntoSqlite(
  dir: string,
  db: string,
  lines: readonly string[],
  args: readonly string[] = [],
): Promise<void> {
  const file = await writeReplayFile(`${dir}/ticks.ndjson`, lines);
  await assertCleanStop(
    await runToEnd([
      "--source=replay",
      `--replay-file=${file}`,
      `--sqlite=${db}`,
      "--http=off",
      ...args,
    ]),
  );
}

/** Writes `lines` as a replay file at `file`, one per line with a final newline; returns `file`. */
export async function writeReplayFile(file: string, lines: readonly string[]): Promise<string> {
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  return file;
}

function isArgs(x: readonly string[] | PipelineConfig): x is readonly string[] {
  return Array.isArray(x);
}

/**
 * Creates the SQLite database at `path` with the pipeline's schema and closes it: for a file
 * several pipelines open at once, or one a test locks before the pipeline starts.
 */
export async function migrateSqlite(path: string): Promise<void> {
  const store = new SqliteStore({ path });
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
}
