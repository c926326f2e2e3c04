/**
 * Fault matrix: a stop while one store is down — refused (connections reset, port closed) or
 * black-holed (connections open, no byte comes back) — for PostgreSQL, ClickHouse and Redis. The
 * healthy store (SQLite) must get everything, what was bound for the failing store must be in the
 * failing store or in SQLite's dead letters (nothing lost), the stop must end within
 * `--shutdown-timeout`, and the run must report what it gave up, counted against that store only.
 * The given-up rows are spooled: a restart after the outage sends them, and the store then holds
 * everything SQLite holds.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { type ClickHouseClient, createClient } from "@clickhouse/client";
import { Redis } from "ioredis";
import { redisKeys } from "../../src/connectors/redis/redis_keys.ts";
import { sharedClickHouse } from "../helpers/clickhouse_server.ts";
import { createTestSchema, postgresAvailable, TEST_DATABASE_URL } from "../helpers/postgres_db.ts";
import { createTestPrefix, redisAvailable, TEST_REDIS_URL } from "../helpers/redis_prefix.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { pollUntil, runId } from "../helpers/services.ts";
import { TcpProxy } from "../helpers/tcp_proxy.ts";
import { runToEnd, startTestPipeline, writeReplayFile } from "../helpers/test_pipeline.ts";

const pgOk = await postgresAvailable();
const redisOk = await redisAvailable();
const clickhouse = await sharedClickHouse();

const fixture = generateReplay({
  seed: 31,
  ticks: 30_000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD"],
  start: Date.UTC(2026, 0, 1),
  gapMs: 100,
});

type Row = Record<string, unknown>;
const tickKey = (r: Row) => `${r.source}|${r.symbol}|${r.id}`;
const candleKey = (r: Row) => `${r.venue}|${r.symbol}|${r.interval}|${r.window_start}|${r.version}`;

/** One store under test: how to point the pipeline at it and how to read back what it holds. */
interface Target {
  readonly name: "postgres" | "clickhouse" | "redis";
  readonly ready: boolean;
  /** Where the real server listens. */
  server(): { hostname: string; port: number };
  /** Flags pointing the pipeline at it through `proxyPort`. */
  args(proxyPort: number, run: string): string[];
  /**
   * Checks that what SQLite holds of this store's share is in the store or in `parked` (the rows
   * of SQLite's dead letters from this store's sink); returns what is missing.
   */
  missing(sqlite: DatabaseSync, parked: Row[], run: string): Promise<string[]>;
  cleanup(run: string): Promise<void>;
}

const schemas = new Map<string, ReturnType<typeof createTestSchema>>();
const prefixes = new Map<string, ReturnType<typeof createTestPrefix>>();
let ch: ClickHouseClient | undefined;

const TARGETS: Target[] = [
  {
    name: "postgres",
    ready: pgOk,
    server: () => {
      const u = new URL(TEST_DATABASE_URL);
      return { hostname: u.hostname, port: Number(u.port || 5432) };
    },
    args: (port, run) => {
      const pg = createTestSchema("outage");
      schemas.set(run, pg);
      const url = new URL(TEST_DATABASE_URL);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return [`--database-url=${url.href}`, `--postgres-schema=${pg.schema}`];
    },
    missing: async (sqlite, parked, run) => {
      const pg = schemas.get(run)!;
      const stored = new Set(
        (await pg.sql.unsafe(`SELECT source, symbol, id FROM "${pg.schema}".ticks`)).map((r) =>
          tickKey(r as Row)
        ),
      );
      const kept = new Set(parked.filter((r) => "price" in r).map(tickKey));
      return sqlite.prepare("SELECT source, symbol, id FROM ticks").all().map((r) => tickKey(r))
        .filter((k) => !stored.has(k) && !kept.has(k));
    },
    cleanup: async (run) => await schemas.get(run)?.drop(),
  },
  {
    name: "clickhouse",
    ready: clickhouse !== undefined,
    server: () => ({ hostname: "127.0.0.1", port: clickhouse!.httpPort }),
    args: (port, run) => [
      `--clickhouse-url=http://127.0.0.1:${port}`,
      `--clickhouse-database=outage_${run}`,
    ],
    missing: async (sqlite, parked, run) => {
      ch ??= createClient({ url: clickhouse!.url });
      const result = await ch.query({
        query: `SELECT venue, symbol, \`interval\`, toUInt64(window_start) * 1000 AS window_start,
                  version
                FROM outage_${run}.candles FINAL`,
        format: "JSONEachRow",
      });
      const stored = new Set(
        (await result.json<Row>()).map((r) =>
          candleKey({ ...r, window_start: Number(r.window_start), version: Number(r.version) })
        ),
      );
      const kept = new Set(parked.filter((r) => "vwap" in r).map(candleKey));
      return sqlite.prepare(`SELECT venue, symbol, "interval", window_start, version FROM candles`)
        .all()
        .map((r) => candleKey(r)).filter((k) => !stored.has(k) && !kept.has(k));
    },
    cleanup: async (run) => {
      ch ??= createClient({ url: clickhouse!.url });
      await ch.command({ query: `DROP DATABASE IF EXISTS outage_${run}` });
    },
  },
  {
    name: "redis",
    ready: redisOk,
    server: () => {
      const u = new URL(TEST_REDIS_URL);
      return { hostname: u.hostname, port: Number(u.port || 6379) };
    },
    args: (port, run) => {
      const prefix = createTestPrefix();
      prefixes.set(run, prefix);
      return [`--redis-url=redis://127.0.0.1:${port}`, `--redis-key-prefix=${prefix.prefix}`];
    },
    missing: async (sqlite, parked, run) => {
      // Redis keeps the newest price per symbol: SQLite's newest tick of each symbol must be
      // there, or parked.
      const keys = redisKeys(prefixes.get(run)!.prefix);
      const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        const newest = sqlite.prepare(
          `SELECT symbol, max(ts) AS ts FROM ticks GROUP BY symbol`,
        ).all();
        const out: string[] = [];
        for (const { symbol, ts } of newest) {
          const h = await redis.hgetall(keys.price(String(symbol)));
          const parkedNewest = parked.some((r) => r.symbol === symbol && r.ts === ts);
          if (Number(h.ts) !== Number(ts) && !parkedNewest) out.push(`${symbol}@${ts}`);
        }
        return out;
      } finally {
        redis.disconnect();
      }
    },
    cleanup: async (run) => await prefixes.get(run)?.cleanup(),
  },
];

for (const target of TARGETS) {
  for (const mode of ["cut", "stall"] as const) {
    Deno.test({
      name:
        `stop during a ${target.name} outage (${mode === "cut" ? "refused" : "black-holed"}): ` +
        `SQLite gets everything, ${target.name}'s share is stored or in SQLite's dead letters, ` +
        "the stop ends in time and the give-up is counted against it alone",
      ignore: !target.ready,
      sanitizeResources: false,
      sanitizeOps: false,
      fn: async () => {
        const run = runId();
        const dir = await Deno.makeTempDir({ prefix: "outage_stop_" });
        const proxy = TcpProxy.start(target.server());
        try {
          const file = await writeReplayFile(`${dir}/ticks.ndjson`, fixture.lines);
          const storeArgs = target.args(proxy.port, run);
          const pipeline = await startTestPipeline([
            "--source=replay",
            `--replay-file=${file}`,
            `--sqlite=${dir}/db.sqlite`,
            ...storeArgs,
            "--http=off",
            "--partitions=2",
            "--bus-capacity=16",
            "--shutdown-timeout=4s",
            // Paced (~50 minutes of event time in ~15 s): rows keep coming through the outage
            // however slow the machine.
            "--replay-speed=200",
          ]);
          // Let some rows reach the store first, then take it away mid-run.
          await pollUntil(`a write to ${target.name}`, async () => {
            const text = await pipeline.registry.metrics();
            return new RegExp(`pipeline_sink_rows_written_total\\{sink="${target.name}"`).test(
              text,
            );
          }, 30_000);
          if (mode === "cut") proxy.cut();
          else proxy.stall();
          // The target's own sink: SQLite's (tick thread) holds rows between its writes anyway.
          await pollUntil("the outage to hold the pipeline back", async () => {
            const text = await pipeline.registry.metrics();
            const size = text.match(
              new RegExp(`pipeline_actor_mailbox_size\\{actor="sink-${target.name}"\\} (\\d+)`),
            );
            return Number(size?.[1] ?? 0) > 0 ||
              new RegExp(`pipeline_sink_errors_total\\{sink="${target.name}"`).test(text);
          }, 30_000);

          await pipeline.stop();
          const t = await pipeline.terminated;
          assert.ok(t.ok, `the stop finished within its deadline: ${t.error}`);
          const given = pipeline.givenUp.entries();
          assert.ok(pipeline.givenUp.total > 0, "the run reports what it gave up");
          assert.ok(
            given.every((e) => e.where === `sink-${target.name}`),
            `only ${target.name} gave up: ${JSON.stringify(given)}`,
          );

          proxy.restore();
          const sqlite = new DatabaseSync(`${dir}/db.sqlite`, { readOnly: true });
          try {
            const parked = sqlite.prepare(
              `SELECT raw FROM dead_letters WHERE reason = 'delivery_failed' AND source = ?`,
            ).all(`sink-${target.name}`).map((r) => JSON.parse(String(r.raw)) as Row);
            assert.ok(parked.length > 0, `${target.name}'s rows were parked as dead letters`);
            const missing = await target.missing(sqlite, parked, run);
            assert.deepEqual(
              missing.slice(0, 5),
              [],
              `${missing.length} rows bound for ${target.name} are neither there nor parked`,
            );
          } finally {
            sqlite.close();
          }

          // The given-up rows were spooled; a restart after the outage, with no new input, sends
          // them first: the store ends holding everything SQLite holds.
          const spool = `${dir}/db.sqlite-spool.ndjson`;
          assert.ok((await Deno.stat(spool)).size > 0, "the spool holds the given-up rows");
          await Deno.writeTextFile(`${dir}/empty.ndjson`, "");
          const again = await runToEnd([
            "--source=replay",
            `--replay-file=${dir}/empty.ndjson`,
            `--sqlite=${dir}/db.sqlite`,
            ...storeArgs,
            "--http=off",
          ]);
          assert.ok((await again.terminated).ok);
          assert.equal(again.givenUp.total, 0);
          await assert.rejects(Deno.stat(spool), Deno.errors.NotFound, "the spool was emptied");
          const after = new DatabaseSync(`${dir}/db.sqlite`, { readOnly: true });
          try {
            const stillMissing = await target.missing(after, [], run);
            assert.deepEqual(
              stillMissing.slice(0, 5),
              [],
              `${stillMissing.length} rows are still missing from ${target.name} after the restart`,
            );
          } finally {
            after.close();
          }
        } finally {
          proxy.restore();
          await proxy.close();
          await target.cleanup(run).catch(() => {});
          await Deno.remove(dir, { recursive: true });
        }
      },
    });
  }
}

globalThis.addEventListener("unload", () => void ch?.close());
