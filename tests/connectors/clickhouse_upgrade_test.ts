/**
 * A ClickHouse database written by the release before venue candles, opened by this one: its
 * candles stay readable under the venue `legacy`, new venue and composite candles go beside them.
 * @module
 */
import assert from "node:assert/strict";
import { ClickHouseStore } from "../../src/connectors/clickhouse/clickhouse_store.ts";
import { queryRows, readLatestCandles } from "../../src/connectors/clickhouse/queries.ts";
import type { Candle } from "../../src/market/candle.ts";
import { sharedClickHouse } from "../helpers/clickhouse_server.ts";
import { runId } from "../helpers/services.ts";

const server = await sharedClickHouse();

// The candles DDL of the release before venues (schemaSql then), verbatim.
const RELEASE_CANDLES_DDL = (db: string) =>
  `CREATE TABLE IF NOT EXISTS \`${db}\`.\`candles\` (\`symbol\` String, \`interval\` String, ` +
  "`window_start` DateTime('UTC'), `open` Float64, `high` Float64, `low` Float64, " +
  "`close` Float64, `volume` Float64, `vwap` Nullable(Float64), `trades` UInt32, " +
  "`first_ts` UInt64, `last_ts` UInt64, `version` UInt32) ENGINE = " +
  "ReplacingMergeTree(version) PARTITION BY toYYYYMM(window_start) " +
  "ORDER BY (symbol, `interval`, window_start)";

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
      assert.deepEqual(versions.map((r) => Number(r.version)), [1, 2]);
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
  name: "ClickHouseStore.migrate() on a new database records both schema versions",
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
      assert.deepEqual(versions.map((r) => Number(r.version)), [1, 2]);
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
