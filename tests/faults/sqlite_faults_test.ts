/**
 * Fault matrix: the embedded store on a bad day. SQLite locked by another process for longer than
 * the write busy timeout, and SQLite on a full disk: once the lock or the space returns nothing is
 * lost (the results equal an uninterrupted run's, exit 0); a lock that never returns ends, at a
 * stop, in a non-zero exit that names what was given up.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { loadConfig } from "../../src/config/load_config.ts";
import { SqliteStore } from "../../src/connectors/sqlite/sqlite_store.ts";
import { silentLogger } from "../../src/logger.ts";
import { startPipeline } from "../../src/pipeline/pipeline.ts";
import { createRegistry } from "../../src/telemetry/metrics.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const fixture = generateReplay({
  seed: 808,
  ticks: 30_000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD"],
  start: Date.UTC(2026, 3, 1),
  gapMs: 150,
});

/** The embedded pipeline in its own process, its stderr collected as it comes. */
function replay(file: string, db: string, extra: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "--source=replay",
      `--replay-file=${file}`,
      `--sqlite=${db}`,
      "--exit-at-end",
      "--http=off",
      "--ui=off",
      ...extra,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const reading = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (log += chunk) }),
  );
  return {
    child,
    log: () => log,
    done: async () => {
      const status = await child.status;
      await reading;
      return status;
    },
  };
}

function dump(db: string): Record<string, unknown[]> {
  const conn = new DatabaseSync(db, { readOnly: true });
  try {
    const q = (sql: string) => conn.prepare(sql).all().map((r) => ({ ...r }));
    return {
      candles: q(`SELECT * FROM candles ORDER BY symbol, "interval", window_start`),
      indicators: q(`SELECT * FROM indicators ORDER BY symbol, "interval", window_start`),
      alerts: q(`SELECT * FROM alerts ORDER BY id`),
      ticks: q(`SELECT * FROM ticks ORDER BY source, symbol, id`),
      dead_letters: q(`SELECT reason, detail, raw, source FROM dead_letters ORDER BY source, raw`),
    };
  } finally {
    conn.close();
  }
}

async function withReference(
  fn: (dir: string, file: string, reference: ReturnType<typeof dump>) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "sqlite_faults_" });
  try {
    const file = `${dir}/ticks.ndjson`;
    await Deno.writeTextFile(file, fixture.lines.join("\n") + "\n");
    const ref = replay(file, `${dir}/reference.db`);
    assert.equal((await ref.done()).code, 0, ref.log().slice(-1000));
    await fn(dir, file, dump(`${dir}/reference.db`));
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
      await pollUntil("the database to be written", () => {
        try {
          const c = new DatabaseSync(db, { readOnly: true });
          try {
            return Number(c.prepare("SELECT count(*) AS n FROM ticks").get()!.n) > 1000;
          } finally {
            c.close();
          }
        } catch {
          return false;
        }
      }, 30_000);
      const locker = new DatabaseSync(db);
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
      assert.deepEqual(dump(db), reference);
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
      const init = new SqliteStore({ path: db });
      await init.migrate();
      await init.close();
      const locker = new DatabaseSync(db);
      locker.exec("BEGIN IMMEDIATE");
      try {
        const run = replay(file, db, ["--shutdown-timeout=3s"]);
        await pollUntil("a write to meet the lock", () =>
          run.log().includes("database is locked"), 30_000);
        run.child.kill("SIGTERM");
        const status = await run.done();
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
          let ended = false;
          run.child.status.then(() => (ended = true));
          await pollUntil("a write to hit the full disk", () =>
            ended || run.log().includes("database or disk is full"), 60_000);
          assert.ok(!ended, `the run hit the full disk before it ended: ${run.log().slice(-1000)}`);
          await Deno.remove(`${disk}/filler`);
          const status = await run.done();
          assert.equal(status.code, 0, run.log().slice(-2000));
          assert.deepEqual(dump(`${disk}/full.db`), reference);
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
      const loaded = loadConfig({
        args: ["--source=replay", `--replay-file=${file}`, "--sqlite=", "--http=off"],
        env: () =>
          undefined,
      });
      if (loaded.kind !== "ok") {
        throw new Error(JSON.stringify(loaded));
      }
      const pipeline = await startPipeline(loaded.config, {
        logger: silentLogger,
        registry,
        extraStores: [store],
      });
      await pollUntil("a write to hit the full disk", async () =>
        /pipeline_sink_errors_total\{sink="sqlite",kind="transient"\} [1-9]/.test(
          await pipeline.registry.metrics(),
        ), 60_000);
      store.db.exec("PRAGMA max_page_count = 1073741823");
      await pipeline.drained;
      await pipeline.stop();
      assert.ok((await pipeline.terminated).ok);
      assert.equal(pipeline.givenUp.total, 0);
      assert.deepEqual(dump(`${dir}/full.db`), reference);
    }),
});
