import assert from "node:assert/strict";
import { ClickHouseReadApi } from "../../src/connectors/clickhouse/clickhouse_read_api.ts";
import { ClickHouseStore } from "../../src/connectors/clickhouse/clickhouse_store.ts";
import { queryRows } from "../../src/connectors/clickhouse/queries.ts";
import { SqliteReader } from "../../src/connectors/sqlite/sqlite_reader.ts";
import { SqliteStore } from "../../src/connectors/sqlite/sqlite_store.ts";
import type { PredictionRow } from "../../src/market/forecast/prediction_row.ts";
import { sharedClickHouse } from "../helpers/clickhouse_server.ts";
import { runId } from "../helpers/services.ts";
import { flatCandle } from "../helpers/forecast_candles.ts";

const server = await sharedClickHouse();
const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);

const candle = (k: number, close: number, venue?: string) => flatCandle(T0 + k * MIN, close, venue);

/** The forecasts after candle k for k + 1. */
const predictions = (k: number, version: number): PredictionRow[] => {
  const base = {
    venue: "composite",
    symbol: "BTC-USD",
    interval: "1m",
    window_start: T0 + k * MIN,
    target_window_start: T0 + (k + 1) * MIN,
    version,
  };
  return [
    {
      ...base,
      model: "ewma",
      predicted_return: null,
      predicted_vol: 0.001 * k + version,
      prob_up: null,
      fallback: null,
    },
    {
      ...base,
      model: "garch",
      predicted_return: null,
      predicted_vol: 0.002 * k,
      prob_up: null,
      fallback: k % 2 ? "too_few" : null,
    },
    {
      ...base,
      model: "ridge",
      predicted_return: -0.0001 * k,
      predicted_vol: null,
      prob_up: 0.5 - 0.01 * k,
      fallback: null,
    },
  ];
};

Deno.test({
  name: "ClickHouse keeps the highest prediction version; /api/predictions answers like SQLite",
  ignore: server === undefined,
  async fn() {
    const db = `t_${runId()}`;
    const store = new ClickHouseStore({ url: server!.url, database: db });
    const sqlite = new SqliteStore({ path: ":memory:" });
    try {
      await store.migrate();
      await sqlite.migrate();
      // Candles 0..3 (the target of the last forecast, 4, has not closed); a kraken candle that
      // must not count; forecasts after 0..3, those after 2 revised (version 7 replaces 5).
      const candles = [candle(0, 100), candle(1, 101), candle(2, 99), candle(3, 99.5)];
      candles.push({ ...candle(3, 10), venue: "kraken" });
      const rows = [0, 1, 2, 3].flatMap((k) => predictions(k, 5));
      const revised = predictions(2, 7);
      for (const s of [store, sqlite]) {
        await s.writeCandles(candles);
        await s.writePredictions(rows);
        await s.writePredictions(revised);
        await s.writePredictions(predictions(2, 6)); // stale, after the newer one
      }
      const q = { venue: "composite", symbol: "BTC-USD", interval: "1m", limit: 9 };
      const got = await new ClickHouseReadApi(store.client, db).predictions(q);
      assert.deepEqual(got, new SqliteReader(sqlite.db).predictions(q));
      // Independently: the last 9 rows are the forecasts after 1, 2 (revised) and 3.
      const closes = [100, 101, 99, 99.5];
      const expected = [...predictions(1, 5), ...revised, ...predictions(3, 5)].map((p) => {
        const k = (p.window_start - T0) / MIN;
        return { ...p, realised_return: k < 3 ? Math.log(closes[k + 1] / closes[k]) : null };
      });
      assert.deepEqual(got, expected);
    } finally {
      await store.client.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => {});
      await store.close();
      await sqlite.close();
    }
  },
});

/** `prediction_outcomes` of ClickHouse `db` in SQLite's shape (times in epoch ms), ordered. */
async function clickhouseOutcomes(
  store: ClickHouseStore,
  db: string,
): Promise<Record<string, unknown>[]> {
  const rows = await queryRows(
    store.client,
    "SELECT venue, symbol, `interval`, toUInt32(target_window_start) AS target_s, model, " +
      "toUInt32(window_start) AS base_s, predicted_return, predicted_vol, prob_up, fallback, " +
      `version, base_close, target_close FROM ${db}.prediction_outcomes ` +
      "ORDER BY venue, symbol, `interval`, target_window_start, model",
  );
  return rows.map(({ target_s, base_s, ...r }) => ({
    ...r,
    target_window_start: Number(target_s) * 1000,
    window_start: Number(base_s) * 1000,
    version: Number(r.version),
  }));
}

Deno.test({
  name: "ClickHouse's prediction_outcomes view has the columns and rows of SQLite's",
  ignore: server === undefined,
  async fn() {
    const db = `t_${runId()}`;
    const store = new ClickHouseStore({ url: server!.url, database: db });
    const sqlite = new SqliteStore({ path: ":memory:" });
    try {
      await store.migrate();
      await sqlite.migrate();
      // The composite's candles 0..3 (one revised), kraken's 2 and 3; forecasts of both venues,
      // revised and stale rows, one whose base candle is missing (after kraken's 1).
      const candles = [candle(0, 100), candle(1, 101), candle(2, 99), candle(3, 99.5)];
      candles.push(
        { ...candle(2, 98), version: 2 },
        candle(2, 10, "kraken"),
        candle(3, 11, "kraken"),
      );
      const kraken = (k: number) => predictions(k, 4).map((p) => ({ ...p, venue: "kraken" }));
      for (const s of [store, sqlite]) {
        await s.writeCandles(candles);
        // (Not the forecasts after 0: its ridge return is −0, whose sign SQLite does not keep.)
        await s.writePredictions([1, 2, 3].flatMap((k) => predictions(k, 5)));
        await s.writePredictions([1, 2, 3].flatMap(kraken));
        await s.writePredictions(predictions(2, 7));
        await s.writePredictions(predictions(2, 6)); // stale, after the newer one
      }
      const columns = await queryRows(store.client, `DESCRIBE TABLE ${db}.prediction_outcomes`);
      const sqliteColumns = sqlite.db.prepare("PRAGMA table_info(prediction_outcomes)").all();
      assert.deepEqual(columns.map((c) => c.name), sqliteColumns.map((c) => c.name));
      const expected = sqlite.db.prepare(
        `SELECT * FROM prediction_outcomes ORDER BY venue, symbol, "interval", ` +
          "target_window_start, model",
      ).all().map((r) => ({ ...r }));
      const got = await clickhouseOutcomes(store, db);
      assert.equal(got.length, 6 * 3);
      assert.deepEqual(got, expected);
      // Independently, a few rows: the revised base candle's close, a target not closed yet, a
      // base candle that does not exist.
      const at = (venue: string, k: number) =>
        got.find((r) =>
          r.venue === venue && r.window_start === T0 + k * MIN && r.model === "ridge"
        )!;
      assert.deepEqual([at("composite", 2).base_close, at("composite", 2).target_close], [
        98,
        99.5,
      ]);
      assert.equal(at("composite", 2).version, 7);
      assert.deepEqual([at("composite", 3).base_close, at("composite", 3).target_close], [
        99.5,
        null,
      ]);
      assert.deepEqual([at("kraken", 1).base_close, at("kraken", 1).target_close], [null, 10]);
    } finally {
      await store.client.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => {});
      await store.close();
      await sqlite.close();
    }
  },
});
