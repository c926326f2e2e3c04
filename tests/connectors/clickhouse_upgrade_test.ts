/**
 * A ClickHouse database written by the release before venue candles, opened by this one: its
 * candles stay readable under the venue `legacy`, new venue and composite candles go beside them.
 * @module
 */
import assert from "node:assert/strict";
import { ClickHouseStore } from "../../src/connectors/clickhouse/clickhouse_store.ts";
import {
  queryRows,
  readLatestAlerts,
  readLatestCandles,
} from "../../src/connectors/clickhouse/queries.ts";
import { alertId } from "../../src/market/anomaly/alert_id.ts";
import {
  ALERTS,
  CANDLES,
  createTableSql,
  INDICATORS,
  type TableSpec,
} from "../../src/connectors/clickhouse/schema.ts";
import { PREDICTIONS } from "../../src/connectors/clickhouse/prediction_table.ts";
import type { Candle } from "../../src/market/candle.ts";
import { sharedClickHouse } from "../helpers/clickhouse_server.ts";
import { runId } from "../helpers/services.ts";
import { flatCandle } from "../helpers/forecast_candles.ts";

const server = await sharedClickHouse();

// The candles DDL of the release before venues (schemaSql then), verbatim.
const RELEASE_CANDLES_DDL = (db: string) =>
  `CREATE TABLE IF NOT EXISTS \`${db}\`.\`candles\` (\`symbol\` String, \`interval\` String, ` +
  "`window_start` DateTime('UTC'), `open` Float64, `high` Float64, `low` Float64, " +
  "`close` Float64, `volume` Float64, `vwap` Nullable(Float64), `trades` UInt32, " +
  "`first_ts` UInt64, `last_ts` UInt64, `version` UInt32) ENGINE = " +
  "ReplacingMergeTree(version) PARTITION BY toYYYYMM(window_start) " +
  "ORDER BY (symbol, `interval`, window_start)";

// The indicators and alerts DDL of the release before analytics venues (schema version 3),
// verbatim.
const RELEASE_INDICATORS_DDL = (db: string) =>
  `CREATE TABLE IF NOT EXISTS \`${db}\`.\`indicators\` (\`symbol\` String, \`interval\` String, ` +
  "`window_start` DateTime('UTC'), `close` Float64, `sma` Nullable(Float64), " +
  "`ema_fast` Nullable(Float64), `ema_slow` Nullable(Float64), `rsi` Nullable(Float64), " +
  "`bb_upper` Nullable(Float64), `bb_middle` Nullable(Float64), `bb_lower` Nullable(Float64), " +
  "`volatility` Nullable(Float64), `version` UInt32) ENGINE = ReplacingMergeTree(version) " +
  "PARTITION BY toYYYYMM(window_start) ORDER BY (symbol, `interval`, window_start)";
const RELEASE_ALERTS_DDL = (db: string) =>
  `CREATE TABLE IF NOT EXISTS \`${db}\`.\`alerts\` (\`id\` String, \`symbol\` String, ` +
  "`interval` String, `rule` String, `severity` String, `value` Float64, `threshold` Float64, " +
  "`window_start` DateTime('UTC'), `message` String) ENGINE = ReplacingMergeTree() " +
  "PARTITION BY toYYYYMM(window_start) ORDER BY (symbol, window_start, id)";

const T0 = Date.UTC(2026, 0, 1);

Deno.test({
  name: "ClickHouseStore.migrate() upgrades a database of the release before venues: old candles " +
    "read as legacy, new ones keyed by venue",
  ignore: server === undefined,
  fn: async () => {
    const db = `t_${runId()}`;
    const store = new ClickHouseStore({ url: server!.url, database: db });
    try {
      await store.client.command({ query: `CREATE DATABASE ${db}` });
      await store.client.command({ query: RELEASE_CANDLES_DDL(db) });
      // Two versions of one window and another window, as that release stored them.
      await store.client.command({
        query: `INSERT INTO ${db}.candles VALUES ` +
          `('BTC-USD', '1m', ${T0 / 1000}, 100, 110, 90, 105, 2.5, 101.25, 3, ${T0}, ${
            T0 + 59_000
          }, 1), ` +
          `('BTC-USD', '1m', ${T0 / 1000}, 100, 120, 90, 106, 3.5, 102.5, 4, ${T0}, ${
            T0 + 59_500
          }, 2), ` +
          `('BTC-USD', '1m', ${T0 / 1000 + 60}, 106, 107, 105, 105.5, 0, NULL, 1, ${T0 + 60_000}, ${
            T0 + 60_000
          }, 1)`,
      });

      await store.migrate();
      const q = { symbol: "BTC-USD", interval: "1m", limit: 10 };
      const legacy = await readLatestCandles(store.client, db, { ...q, venue: "legacy" });
      assert.deepEqual(legacy, [
        {
          venue: "legacy",
          symbol: "BTC-USD",
          interval: "1m",
          window_start: T0 + 60_000,
          open: 106,
          high: 107,
          low: 105,
          close: 105.5,
          volume: 0,
          vwap: null,
          trades: 1,
          first_ts: T0 + 60_000,
          last_ts: T0 + 60_000,
          version: 1,
        },
        {
          venue: "legacy",
          symbol: "BTC-USD",
          interval: "1m",
          window_start: T0,
          open: 100,
          high: 120,
          low: 90,
          close: 106,
          volume: 3.5,
          vwap: 102.5,
          trades: 4,
          first_ts: T0,
          last_ts: T0 + 59_500,
          version: 2,
        },
      ]);
      const kraken: Candle = { ...legacy[1], venue: "kraken", version: 1 };
      const binance: Candle = { ...kraken, venue: "binance", instrument: "BTC-USDT" };
      const composite: Candle = {
        ...kraken,
        venue: "composite",
        constituents: ["kraken"],
        excluded: [{ venue: "coinbase", reason: "stale" }],
      };
      await store.writeCandles([kraken, binance, composite]);
      assert.deepEqual(await readLatestCandles(store.client, db, { ...q, venue: "binance" }), [
        binance,
      ]);
      assert.deepEqual(await readLatestCandles(store.client, db, { ...q, venue: "kraken" }), [
        kraken,
      ]);
      assert.deepEqual(await readLatestCandles(store.client, db, { ...q, venue: "composite" }), [
        composite,
      ]);

      // A second start (or a racing instance) changes nothing.
      await store.migrate();
      const versions = await queryRows(
        store.client,
        `SELECT version FROM ${db}.schema_migrations ORDER BY version`,
      );
      assert.deepEqual(versions.map((r) => Number(r.version)), [1, 2, 3, 4, 5]);
      const [n] = await queryRows(store.client, `SELECT count() AS n FROM ${db}.candles FINAL`);
      assert.equal(Number(n.n), 5, "two legacy windows, two venue candles, one composite");
      const [kept] = await queryRows(
        store.client,
        `SELECT count() AS n FROM ${db}.candles_before_venue`,
      );
      assert.equal(Number(kept.n), 3, "the old rows are kept apart as they were");
    } finally {
      await store.client.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => {});
      await store.close();
    }
  },
});

Deno.test({
  name: "ClickHouseStore.migrate() on a new database records every schema version",
  ignore: server === undefined,
  fn: async () => {
    const db = `t_${runId()}`;
    const store = new ClickHouseStore({ url: server!.url, database: db });
    try {
      await store.migrate();
      await store.migrate();
      const versions = await queryRows(
        store.client,
        `SELECT version FROM ${db}.schema_migrations ORDER BY version`,
      );
      assert.deepEqual(versions.map((r) => Number(r.version)), [1, 2, 3, 4, 5]);
      const [old] = await queryRows(
        store.client,
        `SELECT count() AS n FROM system.tables WHERE database = '${db}' ` +
          "AND name = 'candles_before_venue'",
      );
      assert.equal(Number(old.n), 0, "nothing to keep on a new database");
    } finally {
      await store.client.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => {});
      await store.close();
    }
  },
});

Deno.test({
  name: "ClickHouseStore.migrate() upgrades a database of the release before analytics venues: " +
    "its indicators and alerts are the composite's, alert ids unchanged",
  ignore: server === undefined,
  fn: async () => {
    const db = `t_${runId()}`;
    const store = new ClickHouseStore({ url: server!.url, database: db });
    try {
      // Schema version 3 as that release left it: candles and predictions as now, indicators and
      // alerts without a venue, versions 1 to 3 recorded.
      await store.client.command({ query: `CREATE DATABASE ${db}` });
      for (const spec of [CANDLES, PREDICTIONS]) {
        await store.client.command({ query: createTableSql(db, spec as TableSpec<never>) });
      }
      await store.client.command({ query: RELEASE_INDICATORS_DDL(db) });
      await store.client.command({ query: RELEASE_ALERTS_DDL(db) });
      await store.client.command({
        query: `CREATE TABLE ${db}.schema_migrations (version UInt32, name String, ` +
          "applied_at DateTime('UTC')) ENGINE = ReplacingMergeTree() ORDER BY version",
      });
      await store.client.command({
        query: `INSERT INTO ${db}.schema_migrations VALUES (1, 'initial tables', now()), ` +
          "(2, 'candles keyed by venue', now()), (3, 'predictions', now())",
      });
      const s = T0 / 1000;
      await store.client.command({
        query: `INSERT INTO ${db}.indicators VALUES ('BTC-USD', '1m', ${s}, 105, 101, 102, 103, ` +
          `55.5, 110, 101, 92, 0.01, 2), ('BTC-USD', '1m', ${s}, 105, 101, 102, 103, 40, 110, ` +
          "101, 92, 0.01, 1)",
      });
      const id = alertId("composite", "BTC-USD", "1m", "price_spike", T0);
      await store.client.command({
        query: `INSERT INTO ${db}.alerts VALUES ('${id}', 'BTC-USD', '1m', 'price_spike', ` +
          `'warning', 5, 4, ${s}, 'z 5')`,
      });

      await store.migrate();
      const indicators = await queryRows(
        store.client,
        `SELECT venue, symbol, rsi, version FROM ${db}.indicators FINAL`,
      );
      assert.deepEqual(
        indicators.map((r) => ({ ...r, rsi: Number(r.rsi), version: Number(r.version) })),
        [{ venue: "composite", symbol: "BTC-USD", rsi: 55.5, version: 2 }],
      );
      const stored = await readLatestAlerts(store.client, db, { venue: "composite" });
      assert.deepEqual(stored.map((a) => [a.id, a.venue]), [[id, "composite"]]);
      // A venue's alert of the same window sits beside it; the composite's raised again is one.
      const kraken = {
        ...stored[0],
        id: alertId("kraken", "BTC-USD", "1m", "price_spike", T0),
        venue: "kraken",
      };
      await store.writeAlerts([stored[0], kraken]);
      assert.deepEqual(await readLatestAlerts(store.client, db, { venue: "kraken" }), [kraken]);
      assert.deepEqual(await readLatestAlerts(store.client, db, { venue: "composite" }), stored);

      await store.migrate();
      const versions = await queryRows(
        store.client,
        `SELECT DISTINCT version FROM ${db}.schema_migrations ORDER BY version`,
      );
      assert.deepEqual(versions.map((r) => Number(r.version)), [1, 2, 3, 4, 5]);
      const [kept] = await queryRows(
        store.client,
        `SELECT count() AS n FROM ${db}.indicators_before_venue`,
      );
      assert.equal(Number(kept.n), 2, "the old rows are kept apart as they were");
    } finally {
      await store.client.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => {});
      await store.close();
    }
  },
});

Deno.test({
  name: "ClickHouseStore.migrate() upgrades a database of schema version 4: the " +
    "prediction_outcomes view over its stored rows",
  ignore: server === undefined,
  fn: async () => {
    const db = `t_${runId()}`;
    const store = new ClickHouseStore({ url: server!.url, database: db });
    try {
      // Schema version 4 as that release left it: every table as now, no view, 1 to 4 recorded.
      await store.client.command({ query: `CREATE DATABASE ${db}` });
      for (const spec of [CANDLES, INDICATORS, ALERTS, PREDICTIONS]) {
        await store.client.command({ query: createTableSql(db, spec as TableSpec<never>) });
      }
      await store.client.command({
        query: `CREATE TABLE ${db}.schema_migrations (version UInt32, name String, ` +
          "applied_at DateTime('UTC')) ENGINE = ReplacingMergeTree() ORDER BY version",
      });
      await store.client.command({
        query: `INSERT INTO ${db}.schema_migrations VALUES (1, 'initial tables', now()), ` +
          "(2, 'candles keyed by venue', now()), (3, 'predictions', now()), " +
          "(4, 'indicators and alerts keyed by venue', now())",
      });
      const candle = (k: number, close: number) => flatCandle(T0 + k * 60_000, close);
      await store.writeCandles([candle(0, 100), candle(1, 102)]);
      const prediction = (k: number) => ({
        venue: "composite",
        symbol: "BTC-USD",
        interval: "1m",
        window_start: T0 + k * 60_000,
        target_window_start: T0 + (k + 1) * 60_000,
        model: "ewma" as const,
        predicted_return: null,
        predicted_vol: 0.01,
        prob_up: null,
        fallback: null,
        version: 3,
      });
      await store.writePredictions([prediction(0), prediction(1)]);

      await store.migrate();
      await store.migrate();
      const versions = await queryRows(
        store.client,
        `SELECT DISTINCT version FROM ${db}.schema_migrations ORDER BY version`,
      );
      assert.deepEqual(versions.map((r) => Number(r.version)), [1, 2, 3, 4, 5]);
      const outcomes = await queryRows(
        store.client,
        "SELECT toUInt32(window_start) AS base_s, base_close, target_close " +
          `FROM ${db}.prediction_outcomes ORDER BY target_window_start`,
      );
      assert.deepEqual(outcomes.map((r) => [Number(r.base_s), r.base_close, r.target_close]), [
        [T0 / 1000, 100, 102],
        [T0 / 1000 + 60, 102, null],
      ]);
    } finally {
      await store.client.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => {});
      await store.close();
    }
  },
});
