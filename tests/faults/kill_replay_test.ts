/**
 * Fault matrix: `kill -9` of an embedded replay at five seeded points, then the same replay run
 * again into the same database. Candles, indicators, alerts, raw ticks and dead letters must equal
 * one uninterrupted run's: every write is idempotent and every result a function of the input.
 * @module
 */
import assert from "node:assert/strict";
import { Prng } from "../../src/feeds/prng.ts";
import { type PipelineProcess, spawnReplay } from "../helpers/pipeline_process.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";
import { dumpResults, sqliteCount } from "../helpers/sqlite_dump.ts";
import { writeReplayFile } from "../helpers/test_pipeline.ts";

const KILLS = 5;

const fixture = generateReplay({
  seed: 555,
  ticks: 40_000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"],
  start: Date.UTC(2026, 2, 1),
  gapMs: 150,
});

/**
 * A replay into `db`. Runs to be killed are paced (the file spans ~100 minutes of event time: ~6 s
 * at 1000×), so a starved poll on a loaded machine still reaches its kill point before the end;
 * the others run at full speed.
 */
function replay(file: string, db: string, paced = false): PipelineProcess {
  return spawnReplay({
    file,
    db,
    args: ["--log-level=error", ...(paced ? ["--replay-speed=1000"] : [])],
  });
}

async function finish(run: PipelineProcess): Promise<void> {
  const status = await run.done();
  assert.equal(status.code, 0, `replay exit code (stderr: ${run.log().slice(-1000)})`);
}

Deno.test({
  name: `kill -9 of an embedded replay at ${KILLS} seeded points, then a re-run: every table ` +
    "equals an uninterrupted run's",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kill_replay_" });
    try {
      const file = await writeReplayFile(`${dir}/ticks.ndjson`, fixture.lines);
      await finish(replay(file, `${dir}/reference.db`));
      const reference = dumpResults(`${dir}/reference.db`);
      const total = reference.ticks.length;
      const rng = new Prng(2027);
      for (let k = 0; k < KILLS; k++) {
        const db = `${dir}/killed-${k}.db`;
        const at = Math.floor(total * (0.1 + 0.8 * rng.next()));
        const run = replay(file, db, true);
        await pollUntil(
          `${at} ticks stored before the kill`,
          () => run.exited || sqliteCount(db) >= at,
          60_000,
          5,
        );
        const status = await run.kill("SIGKILL");
        assert.equal(status.signal, "SIGKILL", `run ${k} was killed (at ${at} of ${total} ticks)`);
        assert.ok(sqliteCount(db) < total, `run ${k} was killed before the end`);
        await finish(replay(file, db));
        assert.deepEqual(dumpResults(db), reference, `after the kill at ${at} of ${total} ticks`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
