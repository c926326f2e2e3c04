/**
 * A new Kafka owner's warm-up read from a real store (src/pipeline/candle_history.ts): the
 * analytics warmed up from the candles the store kept emit exactly what an uninterrupted run
 * emits — forecasts with the cross-source spread, revisions and the learned anomaly cooldown
 * included. ClickHouse is the store Kafka mode shares between instances; SQLite the embedded one.
 * @module
 */
import assert from "node:assert/strict";
import { createCandleAnalytics } from "../../actors/analytics/analytics_logic.ts";
import { ClickHouseStore } from "../../src/connectors/clickhouse/clickhouse_store.ts";
import { partitionOf } from "../../src/connectors/kafka/murmur2.ts";
import { SqliteReader } from "../../src/connectors/sqlite/sqlite_reader.ts";
import { SqliteStore } from "../../src/connectors/sqlite/sqlite_store.ts";
import type { Candle } from "../../src/market/candle.ts";
import {
  type CandleHistory,
  clickhouseHistory,
  sqliteHistory,
} from "../../src/pipeline/candle_history.ts";
import { sharedClickHouse } from "../helpers/clickhouse_server.ts";
import { FORECAST_CONFIG, MIN, T0, venueSteps } from "../helpers/forecast_candles.ts";
import { runId } from "../helpers/services.ts";

const server = await sharedClickHouse();
const PARTITIONS = 2;
const settings = { venues: ["composite", "kraken"], forecasts: FORECAST_CONFIG };

/**
 * Runs the stream uninterrupted, one analytics per partition, and again with owners that warm up
 * from `history` (filled by `write` with every candle before the cut, as the sinks write them)
 * and take the rest; both runs' outputs after the cut must be equal.
 */
async function assertWarmUpFrom(
  write: (candles: readonly Candle[]) => Promise<void>,
  history: CandleHistory,
): Promise<void> {
  // Revisions before the cut (the stored candles carry them) and after it, of kraken (a forecast
  // venue) and of coinbase (which only feeds the spreads).
  const input = venueSteps(160, [
    { at: 120, venue: "coinbase" },
    { at: 139, venue: "kraken" },
    { at: 150, venue: "kraken" },
    { at: 152, venue: "coinbase" },
  ]);
  const cut = input.findIndex((c) => c.window_start === T0 + 141 * MIN);
  const partition = (c: Candle) => partitionOf(c.symbol, PARTITIONS);
  const whole = [0, 1].map(() => createCandleAnalytics(settings));
  const expected = input.map((c) => whole[partition(c)].onCandle(c)).slice(cut);

  await write(input.slice(0, cut));
  const stored = await history.forPartitions([0, 1], PARTITIONS, ["1m"]);
  const owners = [0, 1].map((p) => {
    const owner = createCandleAnalytics(settings);
    owner.warmUp(stored.get(p) ?? []);
    return owner;
  });
  // Every venue's candles of every symbol came back (a symbol's candles with its partition).
  const series = [...stored].flatMap(([p, rows]) => rows.map((c) => `${p} ${c.venue} ${c.symbol}`));
  assert.deepEqual(
    [...new Set(series)].sort(),
    [
      ...["BTC-USD", "ETH-USD"].flatMap((s) =>
        ["coinbase", "composite", "kraken"].map((v) => `${partitionOf(s, PARTITIONS)} ${v} ${s}`)
      ),
    ].sort(),
  );
  const got = input.slice(cut).map((c) => owners[partition(c)].onCandle(c));
  assert.deepEqual(got, expected);
  // What was compared: ridge forecasts of both forecast venues after the cut.
  const ridge = got.flatMap((o) => o.predictions).filter((p) => p.prob_up !== null);
  assert.deepEqual([...new Set(ridge.map((p) => p.venue))].sort(), ["composite", "kraken"]);
}

Deno.test({
  name: "candle history: analytics warmed up from ClickHouse emit what an uninterrupted run emits",
  ignore: server === undefined,
  async fn() {
    const db = `t_${runId()}`;
    const store = new ClickHouseStore({ url: server!.url, database: db });
    try {
      await store.migrate();
      await assertWarmUpFrom(
        (candles) => store.writeCandles(candles),
        clickhouseHistory(store, db, settings.venues, { everyVenue: true }),
      );
    } finally {
      await store.client.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => {});
      await store.close();
    }
  },
});

Deno.test("candle history: analytics warmed up from SQLite emit what an uninterrupted run emits", async () => {
  const store = new SqliteStore({ path: ":memory:" });
  try {
    await store.migrate();
    await assertWarmUpFrom(
      (candles) => store.writeCandles(candles),
      sqliteHistory(new SqliteReader(store.db), settings.venues, { everyVenue: true }),
    );
  } finally {
    await store.close();
  }
});
