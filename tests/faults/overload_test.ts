/**
 * Fault matrix: overload. A replay read as fast as the pipeline takes it (about 200 k ticks/s)
 * against a PostgreSQL whose every insert statement first sleeps 250 ms (at most ~20 k rows/s,
 * a tenth of the source) for 60 s. Backpressure must hold the source back: the process' resident
 * memory stays under a stated bound the whole time, and after a stop nothing is lost — PostgreSQL
 * holds exactly the ticks the fast store (SQLite) holds, and the exit is 0.
 * @module
 */
import assert from "node:assert/strict";
import { PostgresStore } from "../../src/connectors/postgres/postgres_store.ts";
import { createTestSchema, postgresAvailable, TEST_DATABASE_URL } from "../helpers/postgres_db.ts";
import { spawnPipeline } from "../helpers/pipeline_process.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";
import { sqliteCount } from "../helpers/sqlite_dump.ts";

const OVERLOAD_MS = 60_000;
/** The bound: the embedded replay's own ~200 MB peak plus margin; unbounded queues would pass it. */
const RSS_BOUND_MB = 400;
const pgOk = await postgresAvailable();

function rssMb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

Deno.test({
  name: `overload: a source 10× faster than PostgreSQL for ${OVERLOAD_MS / 1000} s keeps RSS ` +
    `under ${RSS_BOUND_MB} MB and loses nothing`,
  ignore: !pgOk,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "overload_" });
    const pg = createTestSchema("overload");
    try {
      // More ticks than 60 s at the slow store's pace can take: the source never runs dry.
      const fixture = generateReplay({
        seed: 60,
        ticks: 2_000_000,
        symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD", "DOGE-USD"],
        start: Date.UTC(2026, 0, 1),
        gapMs: 20,
      });
      await Deno.writeTextFile(`${dir}/t.ndjson`, fixture.lines.join("\n") + "\n");
      const store = new PostgresStore({ url: TEST_DATABASE_URL, schema: pg.schema });
      await store.migrate();
      await store.close();
      const q = `"${pg.schema}"`;
      await pg.sql.unsafe(`CREATE FUNCTION ${q}.slow() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN PERFORM pg_sleep(0.25); RETURN NULL; END $$`);
      await pg.sql.unsafe(`CREATE TRIGGER slow BEFORE INSERT ON ${q}.ticks
        FOR EACH STATEMENT EXECUTE FUNCTION ${q}.slow()`);

      const run = spawnPipeline([
        "--source=replay",
        `--replay-file=${dir}/t.ndjson`,
        `--sqlite=${dir}/db.sqlite`,
        `--database-url=${TEST_DATABASE_URL}`,
        `--postgres-schema=${pg.schema}`,
        "--http=off",
        "--ui=off",
        "--log-level=warn",
        "--shutdown-timeout=60s",
      ]);
      let peak = 0;
      const started = performance.now();
      await pollUntil(
        "the overload period to pass",
        () => {
          peak = Math.max(peak, rssMb(run.child.pid));
          return performance.now() - started >= OVERLOAD_MS;
        },
        OVERLOAD_MS + 10_000,
        250,
      );
      const status = await run.kill("SIGTERM");
      assert.equal(status.code, 0, `a clean stop: ${run.log().slice(-2000)}`);
      assert.ok(peak > 0, "RSS was sampled");
      assert.ok(peak < RSS_BOUND_MB, `peak RSS ${Math.round(peak)} MB < ${RSS_BOUND_MB} MB`);

      const inSqlite = sqliteCount(`${dir}/db.sqlite`);
      const [{ n: inPostgres }] = await pg.sql.unsafe(`SELECT count(*)::int AS n FROM ${q}.ticks`);
      assert.ok(inSqlite < fixture.valid.length, "the source was held back (it never ran dry)");
      assert.ok(inSqlite > 100_000, `the pipeline kept moving (${inSqlite} ticks)`);
      assert.equal(inPostgres, inSqlite, "the slow store has every tick the fast one has");
      // deno-lint-ignore no-console
      console.log(`overload: peak RSS ${Math.round(peak)} MB; ${inSqlite} ticks in 60 s`);
    } finally {
      await pg.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
