/**
 * End to end through the real pipeline (`startPipeline`, in-process) into every real store:
 * SQLite, PostgreSQL, ClickHouse 18.16, Redis and a webhook receiver. Checks that the stores agree
 * with each other and with independently computed results, that a re-run adds nothing, that an
 * outage of PostgreSQL and ClickHouse (through a loopback TCP proxy) holds the replay back and
 * loses nothing, and that hostile strings round-trip intact.
 * @module
 */
import assert from "node:assert/strict";
import { type ClickHouseClient, createClient } from "@clickhouse/client";
import { Redis } from "ioredis";
import {
  latestCandlesArgMaxSql,
  latestCandlesSql,
  queryRows,
  rowToCandle,
} from "../../src/connectors/clickhouse/queries.ts";
import { sqlValue } from "../../src/connectors/clickhouse/sql_escape.ts";
import { redisKeys } from "../../src/connectors/redis/redis_keys.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { Pipeline } from "../../src/pipeline/pipeline.ts";
import { sharedClickHouse } from "../helpers/clickhouse_server.ts";
import { createTestSchema, postgresAvailable, TEST_DATABASE_URL } from "../helpers/postgres_db.ts";
import { createTestPrefix, redisAvailable, TEST_REDIS_URL } from "../helpers/redis_prefix.ts";
import {
  compareCandles,
  expectedCandles,
  type FixtureTick,
  fromSqliteRow,
  generateReplay,
  INTERVAL_MS,
} from "../helpers/replay_fixture.ts";
import { pollUntil, runId } from "../helpers/services.ts";
import { sqliteRows } from "../helpers/sqlite_dump.ts";
import { TcpProxy } from "../helpers/tcp_proxy.ts";
import {
  assertCleanStop,
  runToEnd,
  startTestPipeline,
  testConfig,
  writeReplayFile,
} from "../helpers/test_pipeline.ts";
import { startWebhookReceiver } from "../helpers/webhook_receiver.ts";
import { HOSTILE_STRINGS } from "../connectors/hostile_values.ts";

const pgOk = await postgresAvailable();
const redisOk = await redisAvailable();
const clickhouse = await sharedClickHouse();
const ignore = !pgOk || !redisOk || clickhouse === undefined;
const INTERVALS = ["1m", "5m", "1h"];

/** One run's private places in every store, and clients to read them back. */
interface Stores {
  readonly dir: string;
  readonly pg: ReturnType<typeof createTestSchema>;
  readonly chDatabase: string;
  readonly ch: ClickHouseClient;
  readonly redis: Redis;
  readonly prefix: string;
  cleanup(): Promise<void>;
}

async function openStores(): Promise<Stores> {
  const dir = await Deno.makeTempDir({ prefix: "storage_e2e_" });
  const pg = createTestSchema("e2e");
  const chDatabase = `e2e_${runId()}`;
  const ch = createClient({ url: clickhouse!.url });
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const prefix = createTestPrefix();
  return {
    dir,
    pg,
    chDatabase,
    ch,
    redis,
    prefix: prefix.prefix,
    cleanup: async () => {
      await ch.command({ query: `DROP DATABASE IF EXISTS ${chDatabase}` }).catch(() => {});
      await ch.close();
      redis.disconnect();
      await prefix.cleanup();
      await pg.drop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Flags pointing every store at this run's places (`via` swaps in proxy addresses). */
function storeArgs(
  s: Stores,
  via: { pgUrl?: string; chUrl?: string; redisUrl?: string } = {},
): string[] {
  return [
    `--database-url=${via.pgUrl ?? TEST_DATABASE_URL}`,
    `--postgres-schema=${s.pg.schema}`,
    `--clickhouse-url=${via.chUrl ?? clickhouse!.url}`,
    `--clickhouse-database=${s.chDatabase}`,
    "--clickhouse-ticks",
    `--redis-url=${via.redisUrl ?? TEST_REDIS_URL}`,
    `--redis-key-prefix=${s.prefix}`,
    "--http=off",
  ];
}

const key = (t: { source: string; symbol: string; id: string }) =>
  `${t.source}|${t.symbol}|${t.id}`;

function distinctTicks(valid: readonly FixtureTick[]): Map<string, FixtureTick> {
  const out = new Map<string, FixtureTick>();
  for (const t of valid) if (!out.has(key(t))) out.set(key(t), t);
  return out;
}

async function pgTicks(s: Stores) {
  return await s.pg.sql.unsafe<
    { source: string; symbol: string; id: string; price: number; size: number | null; ts: string }[]
  >(
    `SELECT source, symbol, id, price, size,
       (extract(epoch FROM ts) * 1000)::int8::text AS ts FROM "${s.pg.schema}".ticks`,
  );
}

async function pgCount(s: Stores, table: string): Promise<number> {
  const [r] = await s.pg.sql.unsafe(`SELECT count(*)::int AS n FROM "${s.pg.schema}".${table}`);
  return r.n as number;
}

async function chCount(s: Stores, from: string): Promise<number> {
  const [r] = await queryRows(s.ch, `SELECT count() AS n FROM ${s.chDatabase}.${from}`);
  return Number(r.n);
}

/** Every candle ClickHouse holds, read de-duplicated through the product's FINAL query. */
async function chCandles(s: Stores, symbols: readonly string[], argMax = false) {
  const out: Candle[] = [];
  const venues = (await queryRows(s.ch, `SELECT DISTINCT venue FROM ${s.chDatabase}.candles`))
    .map((r) => String(r.venue));
  for (const venue of venues) {
    for (const symbol of symbols) {
      for (const interval of INTERVALS) {
        const q = { venue, symbol, interval, limit: 100_000 };
        const sql = argMax
          ? latestCandlesArgMaxSql(s.chDatabase, q)
          : latestCandlesSql(s.chDatabase, q);
        out.push(...(await queryRows(s.ch, sql)).map(rowToCandle));
      }
    }
  }
  return out.sort(compareCandles);
}

/**
 * Candles computed by ClickHouse itself from its raw `ticks` table: open/close by (ts, id), high,
 * low, sums and counts. Volume and VWAP are float sums in ClickHouse, exact sums in the product.
 */
async function chAggregateCandles(s: Stores): Promise<Candle[]> {
  const out: Candle[] = [];
  for (const interval of INTERVALS) {
    const ms = INTERVAL_MS[interval];
    const rows = await queryRows(
      s.ch,
      `SELECT source, symbol, intDiv(ts_ms, ${ms}) * ${ms} AS ws,
         argMin(price, (ts_ms, toUInt64(id))) AS o, max(price) AS h, min(price) AS l,
         argMax(price, (ts_ms, toUInt64(id))) AS c, sum(size) AS v, sum(price * size) AS pv,
         count() AS n, min(ts_ms) AS f, max(ts_ms) AS z
       FROM ${s.chDatabase}.ticks FINAL GROUP BY source, symbol, ws`,
    );
    for (const r of rows) {
      const volume = Number(r.v);
      out.push({
        venue: String(r.source),
        symbol: String(r.symbol),
        interval,
        window_start: Number(r.ws),
        open: Number(r.o),
        high: Number(r.h),
        low: Number(r.l),
        close: Number(r.c),
        volume,
        vwap: volume === 0 ? null : Number(r.pv) / volume,
        trades: Number(r.n),
        first_ts: Number(r.f),
        last_ts: Number(r.z),
        version: 0,
      });
    }
  }
  return out.sort(compareCandles);
}

function assertClose(actual: number | null, expected: number | null, what: string) {
  if (actual === null || expected === null) return assert.equal(actual, expected, what);
  const tolerance = 1e-9 * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} ≉ ${expected}`);
}

async function redisKeyCount(s: Stores): Promise<number> {
  let n = 0;
  let cursor = "0";
  do {
    const [next, keys] = await s.redis.scan(cursor, "MATCH", `${s.prefix}*`, "COUNT", 1000);
    n += keys.length;
    cursor = next;
  } while (cursor !== "0");
  return n;
}

async function mailboxSizes(p: Pipeline): Promise<Map<string, number>> {
  const m = (await p.registry.getMetricsAsJSON()).find((m) =>
    m.name === "pipeline_actor_mailbox_size"
  );
  return new Map((m?.values ?? []).map((v) => [String(v.labels.actor), v.value]));
}

async function metricSum(p: Pipeline, name: string, labels: Record<string, string>) {
  const m = (await p.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (m?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x))
    .reduce((sum, v) => sum + v.value, 0);
}

Deno.test({
  name: "storage e2e: a replay lands in SQLite, PostgreSQL, ClickHouse, Redis and the webhook, " +
    "the stores agree, and a re-run adds nothing",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const symbols = ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"];
    // No tick is rejected as late here (late ticks are at most 10 min old and the late-update
    // window is 15 min), so the raw ticks explain every candle and ClickHouse's own aggregate
    // over them must equal the product's candles on every window.
    const fixture = generateReplay({
      seed: 61,
      ticks: 4000,
      symbols,
      start: Date.UTC(2026, 0, 5),
      gapMs: 1000,
    });
    const s = await openStores();
    const hook = startWebhookReceiver();
    try {
      const file = await writeReplayFile(`${s.dir}/ticks.ndjson`, fixture.lines);
      const cfg = testConfig([
        "--source=replay",
        `--replay-file=${file}`,
        `--sqlite=${s.dir}/p.db`,
        "--partitions=3",
        "--late-update-window=15m",
        `--alert-webhook-url=${hook.url}`,
        ...storeArgs(s),
      ]);
      const sqliteAlertIds = () =>
        new Set(sqliteRows(`${s.dir}/p.db`, "SELECT id FROM alerts").map((r) => String(r.id)));
      const hookKeys = (from = 0) =>
        new Set(hook.received.slice(from).map((h) => String(h.idempotencyKey)));
      // The webhook client only queues: wait for delivery before stopping.
      const allAlertsDelivered = (from: number) => () =>
        pollUntil("every alert at the webhook", () => {
          const got = hookKeys(from);
          return [...sqliteAlertIds()].every((id) => got.has(id));
        }, 15_000);
      await assertCleanStop(await runToEnd(cfg, { beforeStop: allAlertsDelivered(0) }));

      // SQLite candles = the reference model's candles.
      const sqliteCandles = sqliteRows(
        `${s.dir}/p.db`,
        `SELECT * FROM candles ORDER BY symbol, "interval", window_start`,
      ).map(fromSqliteRow);
      sqliteCandles.sort(compareCandles);
      const expected = expectedCandles(fixture.valid, {
        partitions: 3,
        intervals: INTERVALS,
        latenessMs: 2000,
        lateUpdateMs: 15 * 60_000,
      });
      assert.deepEqual(sqliteCandles, expected, "SQLite candles = reference candles");
      assert.ok(expected.some((c) => c.version > 1), "the replay revises some candles");
      assert.equal(
        sqliteRows(`${s.dir}/p.db`, "SELECT * FROM dead_letters WHERE reason = 'late'").length,
        0,
        "no tick is rejected as late in this run",
      );

      // PostgreSQL raw ticks = the distinct valid ticks, field for field.
      const distinct = distinctTicks(fixture.valid);
      const rows = await pgTicks(s);
      assert.equal(rows.length, distinct.size, "one PostgreSQL row per distinct valid tick");
      for (const r of rows) {
        const t = distinct.get(key(r));
        if (!t) assert.fail(`PostgreSQL tick ${key(r)} is not in the replay`);
        assert.deepEqual(
          { price: r.price, size: r.size, ts: Number(r.ts) },
          { price: t.price, size: t.size, ts: t.ts },
          `PostgreSQL tick ${key(r)}`,
        );
      }

      // ClickHouse candles (FINAL and argMax) = SQLite candles = ClickHouse's aggregate of ticks.
      assert.deepEqual(await chCandles(s, symbols), sqliteCandles, "ClickHouse FINAL = SQLite");
      assert.deepEqual(await chCandles(s, symbols, true), sqliteCandles, "argMax = SQLite");
      assert.equal(await chCount(s, "ticks FINAL"), distinct.size, "ClickHouse raw ticks");
      const aggregated = await chAggregateCandles(s);
      const venueCandles = sqliteCandles.filter((c) => c.venue !== "composite");
      assert.equal(aggregated.length, venueCandles.length, "one aggregated row per venue window");
      aggregated.forEach((a, i) => {
        const c = venueCandles[i];
        const what = `${c.symbol} ${c.interval} ${new Date(c.window_start).toISOString()}`;
        const { volume, vwap, version: _v, ...exact } = a;
        const { volume: cv, vwap: cw, version: _cv, ...cexact } = c;
        assert.deepEqual(exact, cexact, `aggregate of raw ticks, ${what}`);
        assertClose(volume, cv, `volume ${what}`);
        assertClose(vwap, cw, `vwap ${what}`);
      });

      // Redis: each symbol's latest price is its last tick by event time.
      const keys = redisKeys(s.prefix);
      for (const symbol of symbols) {
        const ticks = [...distinct.values()].filter((t) => t.symbol === symbol);
        const maxTs = Math.max(...ticks.map((t) => t.ts));
        const h = await s.redis.hgetall(keys.price(symbol));
        const last = ticks.find((t) => t.ts === maxTs && t.id === h.id);
        if (!last) {
          assert.fail(`Redis ${symbol}: tick ${h.id} at ${h.ts} is not a newest (${maxTs})`);
        }
        assert.deepEqual(
          { price: Number(h.price), ts: Number(h.ts), source: h.source },
          { price: last.price, ts: last.ts, source: last.source },
        );
      }

      // Alerts: the same ids in SQLite, PostgreSQL, ClickHouse and at the webhook, with keys.
      const alertIds = sqliteAlertIds();
      assert.ok(alertIds.size > 0, "the replay raises alerts");
      const pgAlerts = await s.pg.sql.unsafe(`SELECT id FROM "${s.pg.schema}".alerts`);
      assert.deepEqual(new Set(pgAlerts.map((r) => String(r.id))), alertIds, "PostgreSQL alerts");
      const chAlerts = await queryRows(s.ch, `SELECT id FROM ${s.chDatabase}.alerts FINAL`);
      assert.deepEqual(new Set(chAlerts.map((r) => String(r.id))), alertIds, "ClickHouse alerts");
      assert.deepEqual(hookKeys(), alertIds, "webhook Idempotency-Keys = alert ids");
      for (const h of hook.received) {
        assert.equal(h.body.id, h.idempotencyKey, "the key is the alert id");
        assert.match(String(h.contentType), /^application\/json/);
        assert.equal(typeof h.body.text, "string", "Slack-compatible text");
      }
      assert.equal(await s.redis.llen(keys.alertList), alertIds.size, "Redis alert list");

      // Dead letters: the bad lines, in PostgreSQL as in SQLite.
      const sqliteDead = sqliteRows(
        `${s.dir}/p.db`,
        "SELECT source, reason, raw FROM dead_letters",
      );
      const pgDead = await s.pg.sql.unsafe(
        `SELECT source, reason, raw FROM "${s.pg.schema}".dead_letters`,
      );
      const deadKey = (d: Record<string, unknown>) => `${d.source}|${d.reason}|${d.raw}`;
      assert.deepEqual(
        new Set(pgDead.map(deadKey)),
        new Set(sqliteDead.map(deadKey)),
        "PostgreSQL dead letters = SQLite dead letters",
      );
      for (const [line, reason] of fixture.bad) {
        assert.ok(
          sqliteDead.some((d) => d.source === `replay:ticks.ndjson:${line}` && d.reason === reason),
          `line ${line} is a ${reason} dead letter`,
        );
      }

      // Re-running the same replay adds nothing anywhere.
      const counts = async () => ({
        pg: {
          ticks: await pgCount(s, "ticks"),
          alerts: await pgCount(s, "alerts"),
          dead_letters: await pgCount(s, "dead_letters"),
        },
        ch: {
          candles: await chCount(s, "candles FINAL"),
          indicators: await chCount(s, "indicators FINAL"),
          alerts: await chCount(s, "alerts FINAL"),
          ticks: await chCount(s, "ticks FINAL"),
        },
        sqlite: Object.fromEntries(
          ["ticks", "candles", "indicators", "alerts", "dead_letters"].map((t) => [
            t,
            sqliteRows(`${s.dir}/p.db`, `SELECT count(*) AS n FROM ${t}`)[0].n,
          ]),
        ),
        redis: { keys: await redisKeyCount(s), alerts: await s.redis.llen(keys.alertList) },
      });
      const before = await counts();
      const firstDelivery = hook.received.length;
      await assertCleanStop(await runToEnd(cfg, { beforeStop: allAlertsDelivered(firstDelivery) }));
      assert.deepEqual(await counts(), before, "a re-run adds no row, key or alert");
      assert.deepEqual(hookKeys(firstDelivery), alertIds, "re-sent alerts carry the same keys");
      assert.deepEqual(await chCandles(s, symbols), sqliteCandles, "ClickHouse after re-run");
    } finally {
      await hook.close();
      await s.cleanup();
    }
  },
});

Deno.test({
  name: "storage e2e: PostgreSQL and Redis cut and ClickHouse stalled mid-replay hold the " +
    "replay back, bound every mailbox, and everything arrives exactly once after they return",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const fixture = generateReplay({
      seed: 9,
      ticks: 40_000,
      symbols: ["BTC-USD", "ETH-USD", "SOL-USD"],
      start: Date.UTC(2026, 0, 1),
      gapMs: 100,
    });
    const s = await openStores();
    const pgTarget = new URL(TEST_DATABASE_URL);
    const pgProxy = TcpProxy.start({ hostname: pgTarget.hostname, port: Number(pgTarget.port) });
    const chProxy = TcpProxy.start({ hostname: "127.0.0.1", port: clickhouse!.httpPort });
    const redisTarget = new URL(TEST_REDIS_URL);
    const redisProxy = TcpProxy.start({
      hostname: redisTarget.hostname,
      port: Number(redisTarget.port || 6379),
    });
    let pipeline: Pipeline | undefined;
    try {
      const file = await writeReplayFile(`${s.dir}/ticks.ndjson`, fixture.lines);
      const viaPg = new URL(TEST_DATABASE_URL);
      viaPg.hostname = "127.0.0.1";
      viaPg.port = String(pgProxy.port);
      const cfg = testConfig([
        "--source=replay",
        `--replay-file=${file}`,
        "--sqlite=",
        "--partitions=2",
        "--bus-capacity=16",
        ...storeArgs(s, {
          pgUrl: viaPg.href,
          chUrl: `http://127.0.0.1:${chProxy.port}`,
          redisUrl: `redis://127.0.0.1:${redisProxy.port}`,
        }),
      ]);
      let progress = 0;
      pipeline = await startTestPipeline(cfg, {
        onReplayProgress: (read, total) => (progress = read / total),
      });
      const p = pipeline;
      pgProxy.cut();
      chProxy.stall();
      redisProxy.cut();
      let drained = false;
      let terminated = false;
      p.drained.then(() => (drained = true));
      p.terminated.then(() => (terminated = true));

      // The outage propagates back: sinks stop taking, aggregators fill, the replay waits.
      await pollUntil("backpressure up to the aggregators", async () => {
        const sizes = await mailboxSizes(p);
        return [...sizes].some(([a, n]) => a.startsWith("aggregator") && n >= 16);
      }, 20_000);
      await pollUntil(
        "a failed PostgreSQL write",
        async () => await metricSum(p, "pipeline_sink_errors_total", { sink: "postgres" }) > 0,
        10_000,
      );
      for (const [actor, size] of await mailboxSizes(p)) {
        const cap = actor.startsWith("sink") || actor.startsWith("analytics") ? 256 : 16;
        assert.ok(size <= cap, `${actor} holds ${size} ≤ ${cap}`);
      }
      assert.ok(progress < 1, `the replay is held back (read ${Math.round(progress * 100)} %)`);
      assert.equal(drained, false, "not drained during the outage");
      assert.equal(terminated, false, "the pipeline stays up during the outage");
      const distinct = distinctTicks(fixture.valid);
      assert.ok(await pgCount(s, "ticks") < distinct.size, "PostgreSQL is behind");
      assert.ok(await chCount(s, "ticks") < distinct.size, "ClickHouse is behind");

      pgProxy.restore();
      chProxy.restore();
      redisProxy.restore();
      await Promise.race([
        p.drained,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error("not drained 30 s after restore")), 30_000)
        ),
      ]);

      // Exactly once: every tick and candle, no duplicate row.
      const rows = await pgTicks(s);
      assert.equal(rows.length, distinct.size, "every distinct tick in PostgreSQL");
      assert.equal(new Set(rows.map(key)).size, rows.length, "no duplicate PostgreSQL tick");
      assert.equal(await chCount(s, "ticks FINAL"), distinct.size, "every tick in ClickHouse");
      const expected = expectedCandles(fixture.valid, {
        partitions: 2,
        intervals: INTERVALS,
        latenessMs: 2000,
        lateUpdateMs: 60_000,
      });
      assert.deepEqual(
        await chCandles(s, ["BTC-USD", "ETH-USD", "SOL-USD"]),
        expected,
        "ClickHouse candles = reference candles",
      );
      const [dup] = await queryRows(
        s.ch,
        `SELECT count() AS rows, uniqExact(venue, symbol, \`interval\`, window_start, version) AS keys
         FROM ${s.chDatabase}.candles`,
      );
      assert.equal(Number(dup.rows), Number(dup.keys), "no candle revision inserted twice");
      // Redis, cut too: each symbol's latest price is its newest tick by event time.
      const keys = redisKeys(s.prefix);
      for (const symbol of ["BTC-USD", "ETH-USD", "SOL-USD"]) {
        const maxTs = Math.max(
          ...[...distinct.values()].filter((t) => t.symbol === symbol).map((t) => t.ts),
        );
        const h = await s.redis.hgetall(keys.price(symbol));
        assert.equal(Number(h.ts), maxTs, `Redis latest ${symbol} after the outage`);
      }
      assert.equal(terminated, false);
    } finally {
      pgProxy.restore();
      chProxy.restore();
      redisProxy.restore();
      await pipeline?.stop();
      await pgProxy.close();
      await chProxy.close();
      await redisProxy.close();
      await s.cleanup();
    }
  },
});

Deno.test({
  name: "storage e2e: hostile sources, ids and symbols round-trip intact through every store",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // Symbols must be BASE-QUOTE of [A-Z0-9] to pass the tick parser, so hostile strings ride in
    // `source` and `id` (stored by every raw-tick store and Redis); hostile *symbols* are
    // rejected at the parser and must reach the dead-letter tables as data, raw line intact.
    // The 100 kB string would exceed the parser's 4 kB message limit: a 900-byte one stands in
    // (source + symbol + id stay under PostgreSQL's ~2.7 kB btree key limit).
    const hostile = HOSTILE_STRINGS.map((h) => h.length > 1000 ? "ä'\\\"🚀".repeat(100) : h);
    const t0 = Date.UTC(2026, 0, 6);
    const lines: string[] = [];
    const ticks: FixtureTick[] = [];
    const badLines: string[] = [];
    hostile.forEach((h, i) => {
      const symbol = `HX${i}-USD`;
      const early = { source: "e2e", symbol, price: 10 + i, size: 1, ts: t0 + i, id: `a${i}` };
      const last = { source: h, symbol, price: 20.5 + i, size: 0.25, ts: t0 + 90_000 + i, id: h };
      ticks.push(early, last);
      lines.push(JSON.stringify(early), JSON.stringify(last));
      const bad = JSON.stringify({ source: h, symbol: h, price: 1, ts: t0 + 1000 + i, id: h });
      badLines.push(bad);
      lines.push(bad);
    });
    const injection = "x'); DROP TABLE candles; --";
    const injected = JSON.stringify({ source: "e2e", symbol: injection, price: 1, ts: t0, id: 1 });
    badLines.push(injected);
    lines.push(injected);
    const s = await openStores();
    try {
      const file = await writeReplayFile(`${s.dir}/hostile.ndjson`, lines);
      await assertCleanStop(
        await runToEnd([
          "--source=replay",
          `--replay-file=${file}`,
          `--sqlite=${s.dir}/p.db`,
          "--partitions=2",
          ...storeArgs(s),
        ]),
      );
      const want = new Set(ticks.map((t) => `${key(t)}|${t.price}|${t.ts}`));
      const got = (rows: Record<string, unknown>[], tsOf: (r: Record<string, unknown>) => number) =>
        new Set(
          rows.map((r) =>
            `${key(r as { source: string; symbol: string; id: string })}|${r.price}|${tsOf(r)}`
          ),
        );
      const sqliteTicks = sqliteRows(`${s.dir}/p.db`, "SELECT * FROM ticks");
      assert.deepEqual(got(sqliteTicks, (r) => Number(r.ts)), want, "SQLite ticks");
      assert.deepEqual(got(await pgTicks(s), (r) => Number(r.ts)), want, "PostgreSQL ticks");
      const chTicks = await queryRows(
        s.ch,
        `SELECT source, symbol, id, price, ts_ms FROM ${s.chDatabase}.ticks FINAL`,
      );
      assert.deepEqual(got(chTicks, (r) => Number(r.ts_ms)), want, "ClickHouse ticks");
      const keys = redisKeys(s.prefix);
      for (const [i, h] of hostile.entries()) {
        const r = await s.redis.hgetall(keys.price(`HX${i}-USD`));
        assert.deepEqual({ source: r.source, id: r.id }, { source: h, id: h }, "Redis price hash");
      }
      const sqliteRaw = sqliteRows(`${s.dir}/p.db`, "SELECT raw FROM dead_letters");
      const pgRaw = await s.pg.sql.unsafe(`SELECT raw FROM "${s.pg.schema}".dead_letters`);
      for (const [name, rows] of [["SQLite", sqliteRaw], ["PostgreSQL", pgRaw]] as const) {
        const raws = new Set(rows.map((r) => r.raw));
        for (const bad of badLines) {
          assert.ok(raws.has(bad), `${name} dead letter keeps ${bad.slice(0, 60)} intact`);
        }
      }
      // The injection string used as a query value is data: no rows, and the table survives.
      const none = await queryRows(
        s.ch,
        latestCandlesSql(s.chDatabase, { venue: injection, symbol: injection, interval: "1m" }),
      );
      assert.deepEqual(none, []);
      const [exists] = await queryRows(
        s.ch,
        `SELECT count() AS n FROM system.tables WHERE database = ${
          sqlValue(s.chDatabase)
        } AND name = 'candles'`,
      );
      assert.equal(Number(exists.n), 1, "the candles table still exists");
      assert.ok(await chCount(s, "candles FINAL") > 0, "candles of the HX symbols are stored");
    } finally {
      await s.cleanup();
    }
  },
});

Deno.test({
  name: "storage e2e: a dead webhook endpoint never stalls the replay, and the alerts it could " +
    "not take are dead letters in SQLite and PostgreSQL after stop",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const fixture = generateReplay({
      seed: 61,
      ticks: 4000,
      symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"],
      start: Date.UTC(2026, 0, 5),
      gapMs: 1000,
    });
    const s = await openStores();
    let attempts = 0;
    const dead = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
      attempts++;
      return new Response("unavailable", { status: 503 });
    });
    try {
      const file = await writeReplayFile(`${s.dir}/ticks.ndjson`, fixture.lines);
      await assertCleanStop(
        await runToEnd([
          "--source=replay",
          `--replay-file=${file}`,
          `--sqlite=${s.dir}/p.db`,
          "--partitions=3",
          `--alert-webhook-url=http://127.0.0.1:${dead.addr.port}/hook`,
          ...storeArgs(s),
        ]),
      );
      assert.ok(attempts > 0, "the webhook was tried");
      const alertIds = new Set(
        sqliteRows(`${s.dir}/p.db`, "SELECT id FROM alerts").map((r) => String(r.id)),
      );
      assert.ok(alertIds.size > 0, "the replay raises alerts");
      const failedIds = (rows: Record<string, unknown>[]) =>
        new Set(rows.map((r) => String(JSON.parse(String(r.raw)).id)));
      const sqliteFailed = sqliteRows(
        `${s.dir}/p.db`,
        "SELECT raw FROM dead_letters WHERE reason = 'delivery_failed' AND source = 'webhook'",
      );
      assert.deepEqual(failedIds(sqliteFailed), alertIds, "SQLite: every alert is a dead letter");
      const pgFailed = await s.pg.sql.unsafe(
        `SELECT raw FROM "${s.pg.schema}".dead_letters
         WHERE reason = 'delivery_failed' AND source = 'webhook'`,
      );
      assert.deepEqual(failedIds(pgFailed), alertIds, "PostgreSQL: every alert is a dead letter");
    } finally {
      await dead.shutdown();
      await s.cleanup();
    }
  },
});
