/**
 * Fault matrix: a stop while a store is down. The healthy store must get everything, what was
 * bound for the failing store must be in the dead letters of the healthy one (nothing lost), the
 * stop must end within `--shutdown-timeout`, and the run must report what it gave up.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { loadConfig } from "../../src/config/load_config.ts";
import { silentLogger } from "../../src/logger.ts";
import { startPipeline } from "../../src/pipeline.ts";
import { createTestSchema, postgresAvailable, TEST_DATABASE_URL } from "../helpers/postgres_db.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil } from "../helpers/services.ts";
import { TcpProxy } from "../helpers/tcp_proxy.ts";

const pgOk = await postgresAvailable();

Deno.test({
  name: "stop during a PostgreSQL outage: SQLite gets every tick, PostgreSQL's share is in " +
    "SQLite's dead letters, the stop ends in time and the give-up is counted",
  ignore: !pgOk,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const fixture = generateReplay({
      seed: 31,
      ticks: 30_000,
      symbols: ["BTC-USD", "ETH-USD", "SOL-USD"],
      start: Date.UTC(2026, 0, 1),
      gapMs: 100,
    });
    const dir = await Deno.makeTempDir({ prefix: "outage_stop_" });
    const pg = createTestSchema("outage");
    const target = new URL(TEST_DATABASE_URL);
    const proxy = TcpProxy.start({ hostname: target.hostname, port: Number(target.port) });
    const viaProxy = new URL(TEST_DATABASE_URL);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    try {
      const file = `${dir}/ticks.ndjson`;
      await Deno.writeTextFile(file, fixture.lines.join("\n") + "\n");
      const loaded = loadConfig({
        args: [
          "--source=replay",
          `--replay-file=${file}`,
          `--sqlite=${dir}/db.sqlite`,
          `--database-url=${viaProxy.href}`,
          `--postgres-schema=${pg.schema}`,
          "--http=off",
          "--partitions=2",
          "--bus-capacity=16",
          "--shutdown-timeout=4s",
        ],
        env: () => undefined,
      });
      assert.equal(loaded.kind, "ok", JSON.stringify(loaded));
      if (loaded.kind !== "ok") return;
      const pipeline = await startPipeline(loaded.config, { logger: silentLogger });
      proxy.cut();
      await pollUntil("a failed PostgreSQL write", async () => {
        const text = await pipeline.registry.metrics();
        return /pipeline_sink_errors_total\{[^}]*sink="postgres"[^}]*\} [1-9]/.test(text);
      }, 20_000);

      const t0 = performance.now();
      await pipeline.stop();
      const stopMs = performance.now() - t0;
      const t = await pipeline.terminated;
      assert.ok(
        t.ok,
        `the stop finished within its deadline (${Math.round(stopMs)} ms): ${t.error}`,
      );
      assert.ok(pipeline.givenUp.total > 0, "the run reports what it gave up");
      const given = pipeline.givenUp.entries();
      assert.ok(
        given.every((e) => e.where === "sink-postgres"),
        `only PostgreSQL gave up: ${JSON.stringify(given)}`,
      );

      const db = new DatabaseSync(`${dir}/db.sqlite`, { readOnly: true });
      const key = (r: { source: unknown; symbol: unknown; id: unknown }) =>
        `${r.source}|${r.symbol}|${r.id}`;
      const inSqlite = new Set(
        db.prepare("SELECT source, symbol, id FROM ticks").all().map((r) =>
          key(r as { source: string; symbol: string; id: string })
        ),
      );
      const parked = new Set(
        db.prepare(
          `SELECT raw FROM dead_letters WHERE reason = 'delivery_failed' AND source = 'sink-postgres'`,
        ).all().map((r) => JSON.parse(String(r.raw))).filter((row) => "price" in row).map(key),
      );
      db.close();
      const inPostgres = new Set(
        (await pg.sql.unsafe(`SELECT source, symbol, id FROM "${pg.schema}".ticks`))
          .map((r) => key(r as unknown as { source: string; symbol: string; id: string })),
      );
      assert.ok(inSqlite.size > 0, "SQLite stored ticks");
      assert.ok(parked.size > 0, "PostgreSQL's rows were parked as dead letters");
      const missing = [...inSqlite].filter((k) => !inPostgres.has(k) && !parked.has(k));
      assert.deepEqual(
        missing.slice(0, 5),
        [],
        `${missing.length} ticks bound for PostgreSQL are neither there nor in the dead letters`,
      );
    } finally {
      proxy.restore();
      await proxy.close();
      await pg.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
