/**
 * One duplicate rule for candles and raw ticks (docs/analytics.md): a tick is (source, symbol, id,
 * ts). A redelivery (same time) counts once and is stored once; an id reused at another time —
 * here 61 minutes later, in another bucket of the longest interval — is another tick, counted in
 * its candles and stored.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runToEnd, writeReplayFile } from "../helpers/test_pipeline.ts";

Deno.test("duplicate rule: candles count exactly the ticks the raw-tick table keeps", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const t0 = Date.UTC(2026, 0, 1, 10, 0, 0);
    const tick = (id: string, ts: number, price: number) =>
      JSON.stringify({ source: "x", symbol: "BTC-USD", price, size: 1, ts, id });
    const lines = [
      tick("7", t0 + 1000, 100),
      tick("9", t0 + 5000, 101),
      tick("9", t0 + 5000, 101), // a redelivery: same time
      tick("7", t0 + 61 * 60_000, 103), // the id again, 61 minutes later
    ];
    const file = await writeReplayFile(`${dir}/t.ndjson`, lines);
    await runToEnd([
      "--source=replay",
      `--replay-file=${file}`,
      `--sqlite=${dir}/db`,
      "--http=off",
    ]);
    const db = new DatabaseSync(`${dir}/db`, { readOnly: true });
    try {
      const ticks = db.prepare("SELECT id, ts FROM ticks ORDER BY ts").all().map((x) => ({ ...x }));
      assert.deepEqual(ticks, [
        { id: "7", ts: t0 + 1000 },
        { id: "9", ts: t0 + 5000 },
        { id: "7", ts: t0 + 61 * 60_000 },
      ]);
      for (const venue of ["x", "composite"]) {
        const trades = db.prepare(
          `SELECT sum(trades) AS n FROM candles WHERE "interval" = '1h' AND venue = ?`,
        ).get(venue)!.n;
        assert.equal(trades, ticks.length, `the 1h ${venue} candles count the ticks kept`);
      }
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
