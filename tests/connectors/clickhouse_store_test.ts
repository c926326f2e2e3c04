import assert from "node:assert/strict";
import { ClickHouseStore } from "../../src/connectors/clickhouse/clickhouse_store.ts";
import { ClickHouseConfigError } from "../../src/connectors/clickhouse/clickhouse_config.ts";
import {
  latestCandlesArgMaxSql,
  queryRows,
  readLatestAlerts,
  readLatestCandles,
  rowToCandle,
} from "../../src/connectors/clickhouse/queries.ts";
import { sqlValue } from "../../src/connectors/clickhouse/sql_escape.ts";
import type { Alert } from "../../src/market/alert.ts";
import type { Candle } from "../../src/market/candle.ts";
import type { IndicatorRow } from "../../src/market/indicator_row.ts";
import type { Tick } from "../../src/market/tick.ts";
import { createRegistry } from "../../src/telemetry/metrics.ts";
import { sharedClickHouse } from "../helpers/clickhouse_server.ts";
import { pollUntil, runId } from "../helpers/services.ts";
import { TcpProxy } from "../helpers/tcp_proxy.ts";
import { HOSTILE_STRINGS } from "./hostile_values.ts";
import { isStoreError } from "./store_error_assert.ts";

const server = await sharedClickHouse();
const ignore = server === undefined;
const T0 = Date.UTC(2026, 0, 1);
const INJECTION = "x'); DROP TABLE candles; --";

function candle(symbol: string, k: number, version = 1): Candle {
  const base = 100 + k / 3 + version * 1e-9; // thirds and tiny offsets: not exact in decimal
  return {
    venue: "coinbase",
    symbol,
    interval: "1m",
    window_start: T0 + k * 60_000,
    open: base,
    high: base + 0.1,
    low: base - 0.1,
    close: base + Math.PI / 100,
    volume: k * 0.7,
    vwap: k === 0 ? null : base + 0.01,
    trades: k + version,
    first_ts: T0 + k * 60_000 + 123,
    last_ts: T0 + k * 60_000 + 59_999,
    version,
  };
}

async function withStore(
  fn: (store: ClickHouseStore) => Promise<void>,
  options: {
    url?: string;
    requestTimeoutMs?: number;
    registry?: ReturnType<typeof createRegistry>;
  } = {},
) {
  const store = new ClickHouseStore({
    url: options.url ?? server!.url,
    database: `t_${runId()}`,
    ticks: true,
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
  });
  try {
    await store.migrate();
    await fn(store);
  } finally {
    await store.client.command({ query: `DROP DATABASE IF EXISTS ${store.config.database}` })
      .catch(() => {});
    await store.close();
  }
}

Deno.test("resolveClickHouseConfig() reports every problem at once", () => {
  assert.throws(
    () =>
      new ClickHouseStore({ url: "tcp://x", database: "a-b", maxConnections: 0, x: 1 } as never),
    (err: unknown) => err instanceof ClickHouseConfigError && err.problems.length === 4,
  );
});

Deno.test({
  name: "sqlValue() output is read back by ClickHouse as the original value",
  ignore,
  fn: () =>
    withStore(async (store) => {
      const values = [...HOSTILE_STRINGS, "\u0000\u0001\u007f\b\f", "ends with \\"];
      for (const v of values) {
        const [row] = await queryRows(store.client, `SELECT ${sqlValue(v)} AS v`);
        assert.equal(row.v, v, `round trip of ${JSON.stringify(v.slice(0, 40))}`);
      }
      const [n] = await queryRows(
        store.client,
        `SELECT ${sqlValue(-1.25)} + ${sqlValue(1e21)} AS v`,
      );
      assert.equal(n.v, 1e21 - 1.25);
    }),
});

Deno.test({
  name: "ClickHouseStore.migrate() is idempotent when instances start at once",
  ignore,
  fn: () =>
    withStore(async (store) => {
      const other = new ClickHouseStore({ url: server!.url, database: store.config.database });
      try {
        await Promise.all([store.migrate(), other.migrate(), other.migrate()]);
      } finally {
        await other.close();
      }
      const tables = await queryRows(
        store.client,
        `SELECT name FROM system.tables WHERE database = ${
          sqlValue(store.config.database)
        } ORDER BY name`,
      );
      assert.deepEqual(tables.map((t) => t.name), [
        "alerts",
        "candles",
        "indicators",
        "prediction_outcomes",
        "predictions",
        "schema_migrations",
        "ticks",
      ]);
      const versions = await queryRows(
        store.client,
        `SELECT DISTINCT version FROM ${store.config.database}.schema_migrations ORDER BY version`,
      );
      assert.deepEqual(versions.map((r) => Number(r.version)), [1, 2, 3, 4, 5]);
    }),
});

Deno.test({
  name: "ClickHouseStore.writeCandles() keeps the highest version per window, floats exact",
  ignore,
  fn: () =>
    withStore(async (store) => {
      const v1 = Array.from({ length: 50 }, (_, k) => candle("BTC-USD", k));
      await store.writeCandles(v1);
      await store.writeCandles(v1); // a replay
      const v2 = [candle("BTC-USD", 3, 2), candle("BTC-USD", 7, 2)];
      await store.writeCandles(v2);
      await store.writeCandles([candle("BTC-USD", 7, 1)]); // a stale revision arriving late
      const expected = v1.map((c) => v2.find((r) => r.window_start === c.window_start) ?? c)
        .reverse();
      const q = { venue: "coinbase", symbol: "BTC-USD", interval: "1m", limit: 1000 };
      assert.deepEqual(await readLatestCandles(store.client, store.config.database, q), expected);
      const viaArgMax = await queryRows(
        store.client,
        latestCandlesArgMaxSql(store.config.database, q),
      );
      assert.deepEqual(viaArgMax.map(rowToCandle), expected);
      const ranged = await readLatestCandles(store.client, store.config.database, {
        ...q,
        fromMs: T0 + 10 * 60_000,
        toMs: T0 + 20 * 60_000,
        limit: 3,
      });
      assert.deepEqual(ranged.map((c) => c.window_start), [19, 18, 17].map((k) => T0 + k * 60_000));
    }),
});

Deno.test({
  name: "ClickHouseStore stores hostile symbols and messages as data",
  ignore,
  fn: () =>
    withStore(async (store) => {
      const db = store.config.database;
      const symbols = [...HOSTILE_STRINGS, "\u0000nul"];
      assert.ok(symbols.includes(INJECTION));
      await store.writeCandles(symbols.map((s, k) => candle(s, k)));
      for (const [k, s] of symbols.entries()) {
        const got = await readLatestCandles(store.client, db, {
          venue: "coinbase",
          symbol: s,
          interval: "1m",
        });
        assert.deepEqual(got, [candle(s, k)], `symbol ${JSON.stringify(s.slice(0, 40))}`);
      }
      const alerts: Alert[] = symbols.map((s, k) => ({
        id: `${k}:${s}`,
        venue: "composite",
        symbol: s,
        interval: "1m",
        rule: "price_spike",
        severity: "critical",
        value: 1 / 3,
        threshold: 0.1,
        window_start: T0,
        message: s,
      }));
      await store.writeAlerts(alerts);
      await store.writeAlerts(alerts);
      const stored = await readLatestAlerts(store.client, db, { limit: 100 });
      const byId = (a: Alert, b: Alert) => a.id < b.id ? -1 : 1;
      assert.deepEqual(stored.sort(byId), [...alerts].sort(byId));
      const [{ n }] = await queryRows(store.client, `SELECT count() AS n FROM ${db}.candles`);
      assert.equal(Number(n), symbols.length, "the candles table survived");
    }),
});

Deno.test({
  name: "ClickHouseStore.writeIndicators() and writeTicks() round-trip with nulls",
  ignore,
  fn: () =>
    withStore(async (store) => {
      const db = store.config.database;
      const rows: IndicatorRow[] = [1, 2].map((version) => ({
        venue: "kraken",
        symbol: "ETH-USD",
        interval: "5m",
        window_start: T0,
        close: 2000.1,
        sma: version === 1 ? null : 1999.9,
        ema_fast: 1 / 7,
        ema_slow: null,
        rsi: 55.5,
        bb_upper: 2010,
        bb_middle: 2000,
        bb_lower: 1990,
        volatility: null,
        version,
      }));
      await store.writeIndicators(rows);
      const got = await queryRows(
        store.client,
        `SELECT sma, ema_fast, ema_slow, version FROM ${db}.indicators FINAL`,
      );
      assert.deepEqual(got, [{ sma: 1999.9, ema_fast: 1 / 7, ema_slow: null, version: 2 }]);
      const ticks: Tick[] = [
        { source: "sim", symbol: "BTC-USD", id: "1", price: 0.1 + 0.2, size: null, ts: T0 + 7 },
        {
          source: "sim",
          symbol: "BTC-USD",
          id: "2",
          price: 1e-8,
          size: 3,
          ts: T0 + 8,
          side: "buy",
        },
      ];
      await store.writeTicks(ticks);
      await store.writeTicks(ticks);
      const t = await queryRows(
        store.client,
        `SELECT id, price, size, ts_ms, side FROM ${db}.ticks FINAL ORDER BY id`,
      );
      assert.deepEqual(t.map((r) => ({ ...r, ts_ms: Number(r.ts_ms) })), [
        { id: "1", price: 0.1 + 0.2, size: null, ts_ms: T0 + 7, side: null },
        { id: "2", price: 1e-8, size: 3, ts_ms: T0 + 8, side: "buy" },
      ]);
    }),
});

Deno.test({
  name: "ClickHouseStore fails a write into a missing table as fatal",
  ignore,
  fn: () =>
    withStore(async (store) => {
      await store.client.command({ query: `DROP TABLE ${store.config.database}.candles` });
      await assert.rejects(
        store.writeCandles([candle("BTC-USD", 1)]),
        (err: unknown) => isStoreError(err, { retriable: false, kind: "fatal" }),
      );
    }),
});

Deno.test({
  name: "ClickHouseStore records pipeline_sink_* metrics per batch",
  ignore,
  fn: async () => {
    const registry = createRegistry();
    await withStore(async (store) => {
      await store.writeCandles([candle("A", 1), candle("A", 2)]);
      await store.client.command({ query: `DROP TABLE ${store.config.database}.alerts` });
      await store.writeAlerts([]).catch(() => {});
      await assert.rejects(store.writeAlerts([{
        id: "a",
        venue: "composite",
        symbol: "A",
        interval: "1m",
        rule: "price_spike",
        severity: "info",
        value: 1,
        threshold: 1,
        window_start: T0,
        message: "",
      }]));
    }, { registry });
    const text = await registry.metrics();
    assert.match(text, /pipeline_sink_rows_written_total\{sink="clickhouse",table="candles"\} 2/);
    assert.match(text, /pipeline_sink_errors_total\{sink="clickhouse",kind="fatal"\} 1/);
  },
});

Deno.test({
  name: "ClickHouseStore writes fail retriably while cut off or stalled and succeed after",
  ignore,
  fn: async () => {
    const proxy = TcpProxy.start({ hostname: "127.0.0.1", port: server!.httpPort });
    try {
      await withStore(async (store) => {
        await store.writeCandles([candle("BTC-USD", 1)]);
        proxy.cut();
        await assert.rejects(
          store.writeCandles([candle("BTC-USD", 2)]),
          (err: unknown) => isStoreError(err, { retriable: true }),
        );
        proxy.restore();
        proxy.stall();
        await assert.rejects(
          store.writeCandles([candle("BTC-USD", 3)]),
          (err: unknown) => isStoreError(err, { retriable: true, kind: "timeout" }),
        );
        proxy.restore();
        await pollUntil("a write after restore", async () => {
          await store.writeCandles([1, 2, 3].map((k) => candle("BTC-USD", k)));
          return true;
        });
        const got = await readLatestCandles(store.client, store.config.database, {
          venue: "coinbase",
          symbol: "BTC-USD",
          interval: "1m",
        });
        assert.deepEqual(got, [3, 2, 1].map((k) => candle("BTC-USD", k)));
      }, { url: `http://127.0.0.1:${proxy.port}`, requestTimeoutMs: 1000 });
    } finally {
      await proxy.close();
    }
  },
});
