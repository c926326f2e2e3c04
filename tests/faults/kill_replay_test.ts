/**
 * Fault matrix: `kill -9` of an embedded replay at five seeded points, then the same replay run
 * again into the same database. Candles, indicators, alerts, raw ticks and dead letters must equal
 * one uninterrupted run's: every write is idempotent and every result a function of the input.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Prng } from "../../src/feeds/prng.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const KILLS = 5;

const fixture = generateReplay({
  seed: 555,
  ticks: 40_000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"],
  start: Date.UTC(2026, 2, 1),
  gapMs: 150,
});

function replay(file: string, db: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
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
      "--log-level=error",
      // Paced (the file spans ~100 minutes of event time), so kill points spread over the run.
      "--replay-speed=4000",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

async function finish(child: Deno.ChildProcess): Promise<void> {
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
  ]);
  assert.equal(status.code, 0, `replay exit code (stderr: ${stderr.slice(-1000)})`);
}

function count(db: string): number {
  try {
    const conn = new DatabaseSync(db, { readOnly: true });
    try {
      return Number(conn.prepare("SELECT count(*) AS n FROM ticks").get()!.n);
    } finally {
      conn.close();
    }
  } catch {
    return 0; // not created or not migrated yet
  }
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
      // Processing-time columns (ts, seq) differ between runs by nature.
      dead_letters: q(`SELECT reason, detail, raw, source FROM dead_letters ORDER BY source, raw`),
    };
  } finally {
    conn.close();
  }
}

Deno.test({
  name: `kill -9 of an embedded replay at ${KILLS} seeded points, then a re-run: every table ` +
    "equals an uninterrupted run's",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kill_replay_" });
    try {
      const file = `${dir}/ticks.ndjson`;
      await Deno.writeTextFile(file, fixture.lines.join("\n") + "\n");
      await finish(replay(file, `${dir}/reference.db`));
      const reference = dump(`${dir}/reference.db`);
      const total = reference.ticks.length;
      const rng = new Prng(2027);
      for (let k = 0; k < KILLS; k++) {
        const db = `${dir}/killed-${k}.db`;
        const at = Math.floor(total * (0.1 + 0.8 * rng.next()));
        const child = replay(file, db);
        let exited = false;
        child.status.then(() => (exited = true));
        await pollUntil(
          `${at} ticks stored before the kill`,
          () => exited || count(db) >= at,
          60_000,
          5,
        );
        child.kill("SIGKILL");
        const status = await child.status;
        await child.stderr.cancel();
        assert.equal(status.signal, "SIGKILL", `run ${k} was killed (at ${at} of ${total} ticks)`);
        assert.ok(count(db) < total, `run ${k} was killed before the end`);
        await finish(replay(file, db));
        assert.deepEqual(dump(db), reference, `after the kill at ${at} of ${total} ticks`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
