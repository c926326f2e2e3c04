/**
 * Fault matrix: the embedded store on a bad day. SQLite locked by another process for longer than
 * the write busy timeout, and SQLite on a full disk: once the lock or the space returns nothing is
 * lost (the results equal an uninterrupted run's, exit 0); a lock that never returns ends, at a
 * stop, in a non-zero exit that names what was given up.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { SqliteStore } from "../../src/connectors/sqlite/sqlite_store.ts";
import { createRegistry } from "../../src/telemetry/metrics.ts";
import { spawnReplay } from "../helpers/pipeline_process.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";
import { dumpResults, type ResultDump, sqliteCount } from "../helpers/sqlite_dump.ts";
import { migrateSqlite, startTestPipeline, writeReplayFile } from "../helpers/test_pipeline.ts";

const fixture = generateReplay({
  seed: 808,
  ticks: 30_000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD"],
  start: Date.UTC(2026, 3, 1),
  gapMs: 150,
});

const replay = (file: string, db: string, args: string[] = []) => spawnReplay({ file, db, args });

async function withReference(
  fn: (dir: string, file: string, reference: ResultDump) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "sqlite_faults_" });
  try {
    const file = await writeReplayFile(`${dir}/ticks.ndjson`, fixture.lines);
    const ref = replay(file, `${dir}/reference.db`);
    assert.equal((await ref.done()).code, 0, ref.log().slice(-1000));
    await fn(dir, file, dumpResults(`${dir}/reference.db`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "SQLite locked by another process for 3 s mid-replay: retried, nothing lost, exit 0",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withReference(async (dir, file, reference) => {
      const db = `${dir}/locked.db`;
      // Paced, so the lock lands mid-run.
      const run = replay(file, db, ["--replay-speed=1500"]);
      await pollUntil("the database to be written", () => sqliteCount(db) > 1000, 30_000);
      const locker = new DatabaseSync(db);
      // The pipeline may be in the middle of a write: wait for it to end instead of failing.
      locker.exec("PRAGMA busy_timeout = 10000");
      locker.exec("BEGIN IMMEDIATE");
      await pollUntil("a write to meet the lock", () =>
        run.log().includes("database is locked"), 30_000);
      await new Promise((r) =>
        setTimeout(r, 3000)
      );
      locker.exec("ROLLBACK");
      locker.close();
      const status = await run.done();
      assert.equal(status.code, 0, run.log().slice(-2000));
      assert.match(run.log(), /all results are stored/);
      assert.deepEqual(dumpResults(db), reference);
    }),
});

Deno.test({
  name: "SQLite locked for good: a stop gives up in time, exit 1 names what was given up and why",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withReference(async (dir, file) => {
      const db = `${dir}/stuck.db`;
      // Created and migrated first, then locked before the run writes anything.
      await migrateSqlite(db);
      const locker = new DatabaseSync(db);
      locker.exec("BEGIN IMMEDIATE");
      try {
        const run = replay(file, db, ["--shutdown-timeout=3s"]);
        await pollUntil("a write to meet the lock", () =>
          run.log().includes("database is locked"), 30_000);
        const status = await run.kill("SIGTERM");
        assert.equal(status.code, 1, run.log().slice(-2000));
        assert.doesNotMatch(run.log(), /all results are stored/);
        assert.match(run.log(), /results were given up[^\n]*sink-sqlite[^\n]*database is locked/);
      } finally {
        locker.exec("ROLLBACK");
        locker.close();
      }
    }),
});

/** Mounts a small tmpfs at `dir`; false where the machine does not allow it. */
async function mountTmpfs(dir: string, size: string): Promise<boolean> {
  await Deno.mkdir(dir, { recursive: true });
  const r = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => ({ code: 1 }));
  return r.code === 0;
}

Deno.test({
  name: "SQLite on a full disk: writes wait, and once space returns nothing is lost",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withReference(async (dir, file, reference) => {
      const disk = `${dir}/disk`;
      if (await mountTmpfs(disk, "24m")) {
        // A real full file system: a filler leaves 1 MB, a fraction of what the run writes.
        try {
          await Deno.writeFile(`${disk}/filler`, new Uint8Array(23 * 1024 * 1024));
          const run = replay(file, `${disk}/full.db`);
          await pollUntil("a write to hit the full disk", () =>
            run.exited || run.log().includes("database or disk is full"), 60_000);
          assert.ok(
            !run.exited,
            `the run hit the full disk before it ended: ${run.log().slice(-1000)}`,
          );
          await Deno.remove(`${disk}/filler`);
          const status = await run.done();
          assert.equal(status.code, 0, run.log().slice(-2000));
          assert.deepEqual(dumpResults(`${disk}/full.db`), reference);
        } finally {
          await new Deno.Command("umount", { args: ["-l", disk] }).output();
        }
        return;
      }
      // No tmpfs here: SQLite's page limit answers exactly as a full disk does (SQLITE_FULL).
      const registry = createRegistry();
      const store = new SqliteStore({ path: `${dir}/full.db`, registry });
      await store.migrate();
      store.db.exec(
        `PRAGMA max_page_count = ${
          Number(store.db.prepare("PRAGMA page_count").get()!.page_count) + 50
        }`,
      );
      const pipeline = await startTestPipeline(
        ["--source=replay", `--replay-file=${file}`, "--sqlite=", "--http=off"],
        { registry, extraStores: [store] },
      );
      await pollUntil("a write to hit the full disk", async () =>
        /pipeline_sink_errors_total\{sink="sqlite",kind="transient"\} [1-9]/.test(
          await pipeline.registry.metrics(),
        ), 60_000);
      store.db.exec("PRAGMA max_page_count = 1073741823");
      await pipeline.drained;
      await pipeline.stop();
      assert.ok((await pipeline.terminated).ok);
      assert.equal(pipeline.givenUp.total, 0);
      assert.deepEqual(dumpResults(`${dir}/full.db`), reference);
    }),
});
