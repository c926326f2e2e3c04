import assert from "node:assert/strict";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { sqliteRows } from "../helpers/sqlite_dump.ts";
import { startTestPipeline } from "../helpers/test_pipeline.ts";

Deno.test("HTTP: /api/predictions serves the stored forecasts with realised returns", async () => {
  const dir = await Deno.makeTempDir();
  const fixture = generateReplay({
    seed: 18,
    ticks: 3000,
    symbols: ["BTC-USD", "ETH-USD"],
    start: Date.UTC(2026, 0, 1),
    gapMs: 400,
  });
  await Deno.writeTextFile(`${dir}/t.ndjson`, fixture.lines.join("\n"));
  const db = `${dir}/db.sqlite`;
  const pipeline = await startTestPipeline([
    "--source=replay",
    `--replay-file=${dir}/t.ndjson`,
    `--sqlite=${db}`,
    "--http=127.0.0.1:0",
    "--log-level=warn",
    "--forecast-models=ewma,garch,ridge",
  ]);
  try {
    await pipeline.drained;
    const base = `http://127.0.0.1:${pipeline.http!.port}`;
    const get = async (path: string) => {
      const res = await fetch(base + path);
      return { status: res.status, body: JSON.parse(await res.text()) };
    };
    const res = await get("/api/predictions?symbol=btc-usd&interval=1m&limit=9");
    assert.equal(res.status, 200);
    assert.equal(res.body.venue, "composite");
    assert.equal(res.body.symbol, "BTC-USD");
    const rows = res.body.predictions as Record<string, number | string | null>[];
    // The last three target windows, every model, oldest first, as the table holds them.
    const stored = sqliteRows(
      db,
      `SELECT * FROM predictions WHERE symbol = 'BTC-USD' AND "interval" = '1m'
       ORDER BY target_window_start DESC, model DESC LIMIT 9`,
    ).reverse();
    assert.equal(rows.length, 9);
    assert.deepEqual(rows.map(({ realised_return: _, ...r }) => r), stored);
    assert.deepEqual(rows.map((r) => r.model), Array(3).fill(["ewma", "garch", "ridge"]).flat());
    // Realised: ln(close of the target window / close of the candle before), from the candles.
    const candles = (await get("/api/candles?symbol=BTC-USD&interval=1m&limit=5000")).body
      .candles as { window_start: number; close: number }[];
    const close = new Map(candles.map((c) => [c.window_start, c.close]));
    for (const r of rows) {
      const target = close.get(r.target_window_start as number);
      const before = close.get(r.window_start as number)!;
      const expected = target === undefined ? null : Math.log(target / before);
      assert.equal(r.realised_return, expected, `target ${r.target_window_start}`);
    }
    assert.equal(rows.at(-1)!.realised_return, null, "the last forecast's window never closed");
    assert.ok(rows.slice(0, 6).every((r) => r.realised_return !== null));
    for (
      const bad of [
        "/api/predictions",
        "/api/predictions?symbol=BTC-USD&interval=7m",
        "/api/predictions?symbol=BTC-USD&limit=0",
      ]
    ) {
      assert.equal((await get(bad)).status, 400, bad);
    }
  } finally {
    await pipeline.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
