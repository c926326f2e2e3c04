import assert from "node:assert/strict";
import { SqliteReader } from "../../../src/connectors/sqlite/sqlite_reader.ts";
import { SqliteStore } from "../../../src/connectors/sqlite/sqlite_store.ts";
import type { PredictionRow } from "../../../src/market/forecast/prediction_row.ts";
import { flatCandle } from "../../helpers/forecast_candles.ts";

const MIN = 60_000;
const T = 1_700_000_040_000;

const candle = (windowStart: number, close: number) => flatCandle(windowStart, close);

const prediction = (over: Partial<PredictionRow> = {}): PredictionRow => ({
  venue: "composite",
  symbol: "BTC-USD",
  interval: "1m",
  window_start: T,
  target_window_start: T + MIN,
  model: "ridge",
  predicted_return: 0.001,
  predicted_vol: null,
  prob_up: 0.55,
  fallback: null,
  version: 10,
  ...over,
});

async function withStore(fn: (store: SqliteStore) => Promise<void>) {
  const store = new SqliteStore({ path: ":memory:" });
  try {
    await store.migrate();
    await fn(store);
  } finally {
    await store.close();
  }
}

Deno.test("SqliteStore keeps the highest prediction version per series, target and model", async () => {
  await withStore(async (store) => {
    await store.writePredictions([prediction({ version: 10 })]);
    await store.writePredictions([prediction({ predicted_return: 0.002, version: 12 })]);
    await store.writePredictions([prediction({ predicted_return: 0.009, version: 11 })]); // stale
    await store.writePredictions([
      prediction({ model: "garch", predicted_return: null, predicted_vol: 0.01, prob_up: null }),
      prediction({
        model: "garch",
        predicted_return: null,
        predicted_vol: 0.02,
        prob_up: null,
        fallback: "too_few",
        target_window_start: T + 2 * MIN,
        window_start: T + MIN,
      }),
    ]);
    const read = new SqliteReader(store.db);
    const rows = read.predictions({
      venue: "composite",
      symbol: "BTC-USD",
      interval: "1m",
      limit: 10,
    });
    assert.deepEqual(rows, [
      {
        ...prediction({
          model: "garch",
          predicted_return: null,
          predicted_vol: 0.01,
          prob_up: null,
        }),
        realised_return: null,
      },
      { ...prediction({ predicted_return: 0.002, version: 12 }), realised_return: null },
      {
        ...prediction({
          model: "garch",
          predicted_return: null,
          predicted_vol: 0.02,
          prob_up: null,
          fallback: "too_few",
          target_window_start: T + 2 * MIN,
          window_start: T + MIN,
        }),
        realised_return: null,
      },
    ]);
    // The latest `limit` rows, oldest first.
    const last = read.predictions({
      venue: "composite",
      symbol: "BTC-USD",
      interval: "1m",
      limit: 1,
    });
    assert.equal(last.length, 1);
    assert.equal(last[0].target_window_start, T + 2 * MIN);
  });
});

Deno.test("SqliteReader: the realised return once the target window's candle is stored", async () => {
  await withStore(async (store) => {
    await store.writePredictions([prediction()]);
    await store.writeCandles([candle(T, 100)]);
    const read = new SqliteReader(store.db);
    const q = { venue: "composite", symbol: "BTC-USD", interval: "1m", limit: 10 };
    assert.equal(read.predictions(q)[0].realised_return, null, "target window not closed yet");
    await store.writeCandles([candle(T + MIN, 101), { ...candle(T + MIN, 50), venue: "kraken" }]);
    assert.equal(read.predictions(q)[0].realised_return, Math.log(101 / 100));
  });
});
