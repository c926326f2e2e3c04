import assert from "node:assert/strict";
import { ClickHouseReadApi } from "../../src/connectors/clickhouse/clickhouse_read_api.ts";
import { ClickHouseStore } from "../../src/connectors/clickhouse/clickhouse_store.ts";
import { SqliteReader } from "../../src/connectors/sqlite/sqlite_reader.ts";
import { SqliteStore } from "../../src/connectors/sqlite/sqlite_store.ts";
import type { Alert } from "../../src/market/alert.ts";
import type { Candle } from "../../src/market/candle.ts";
import { sharedClickHouse } from "../helpers/clickhouse_server.ts";
import { runId } from "../helpers/services.ts";

const server = await sharedClickHouse();
const T0 = Date.UTC(2026, 0, 1);

function candle(symbol: string, k: number, version: number): Candle {
  const base = 100 + k / 3;
  return {
    venue: "coinbase",
    symbol,
    interval: "1m",
    window_start: T0 + k * 60_000,
    open: base,
    high: base + 1,
    low: base - 1,
    close: base + version / 10,
    volume: k * 0.5 + version,
    vwap: k === 0 ? null : base,
    trades: k + version,
    first_ts: T0 + k * 60_000 + 1,
    last_ts: T0 + k * 60_000 + 59_000,
    version,
  };
}

function alert(symbol: string, k: number): Alert {
  return {
    id: `${symbol}:price_spike:1m:${T0 + k * 60_000}`,
    venue: "composite",
    symbol,
    interval: "1m",
    rule: "price_spike",
    severity: k % 2 ? "critical" : "warning",
    value: 4 + k,
    threshold: 3,
    window_start: T0 + k * 60_000,
    message: `spike ${k}`,
  };
}

Deno.test({
  name: "ClickHouseReadApi answers /api/candles and /api/alerts like the SQLite reader",
  ignore: server === undefined,
  async fn() {
    const store = new ClickHouseStore({ url: server!.url, database: `t_${runId()}` });
    const sqlite = new SqliteStore({ path: ":memory:" });
    try {
      await store.migrate();
      await sqlite.migrate();
      // Revisions of the same windows (version 2 replaces 1), two symbols, alerts on both.
      const v1 = [0, 1, 2, 3].flatMap((k) => [candle("BTC-USD", k, 1), candle("ETH-USD", k, 1)]);
      const v2 = [1, 3].map((k) => candle("BTC-USD", k, 2));
      const alerts = [0, 1, 2].flatMap((k) => [alert("BTC-USD", k), alert("ETH-USD", k)]);
      for (const s of [store, sqlite]) {
        await s.writeCandles(v1);
        await s.writeCandles(v2);
        await s.writeAlerts(alerts);
      }
      const ch = new ClickHouseReadApi(store.client, store.config.database);
      const lite = new SqliteReader(sqlite.db);
      const q = { venue: "coinbase", symbol: "BTC-USD", interval: "1m", limit: 3 };
      const got = await ch.candles(q);
      assert.deepEqual(got, lite.candles(q), "latest three candles, oldest first");
      assert.deepEqual(got.map((c) => c.version), [2, 1, 2]);
      // The page before the second window: the first two, as SQLite pages them.
      const older = { ...q, before: T0 + 2 * 60_000 };
      const page = await ch.candles(older);
      assert.deepEqual(page, lite.candles(older), "the page before a window");
      assert.deepEqual(page.map((c) => c.window_start), [T0, T0 + 60_000]);
      assert.deepEqual(await ch.symbols(), lite.symbols());
      const byId = (a: Alert, b: Alert) => a.id < b.id ? -1 : 1;
      const newest = await ch.alerts({ venue: "composite", limit: 4 });
      assert.deepEqual(newest.map((a) => a.window_start), [2, 2, 1, 1].map((k) => T0 + k * 60_000));
      assert.deepEqual(
        [...newest].sort(byId),
        [...lite.alerts({ venue: "composite", limit: 4 })].sort(byId),
      );
    } finally {
      await store.client.command({ query: `DROP DATABASE IF EXISTS ${store.config.database}` })
        .catch(() => {});
      await store.close();
      await sqlite.close();
    }
  },
});
