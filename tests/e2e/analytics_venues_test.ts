/**
 * `--analytics-venue composite,kraken`: a replay of two venues trading the same symbols gives
 * indicators and candle alerts for both named venues, each series computed on its own venue's
 * stored candles, and none for the venue not named.
 * @module
 */
import assert from "node:assert/strict";
import { alertId } from "../../src/market/anomaly/alert_id.ts";
import { generateReplay } from "../helpers/replay_fixture.ts";
import { referenceIndicators } from "../helpers/indicator_reference.ts";
import { sqliteRows } from "../helpers/sqlite_dump.ts";
import { replayIntoSqlite } from "../helpers/test_pipeline.ts";
import { assertClose } from "../market/prng.ts";

const fixture = generateReplay({
  seed: 2027,
  ticks: 12_000,
  symbols: ["BTC-USD", "ETH-USD"],
  start: Date.UTC(2026, 10, 1, 0, 0, 0),
  gapMs: 300,
  venues: ["coinbase", "kraken"],
});

const FIELDS = [
  "sma",
  "ema_fast",
  "ema_slow",
  "rsi",
  "bb_upper",
  "bb_middle",
  "bb_lower",
  "volatility",
] as const;

type Row = Record<string, unknown>;

Deno.test("analytics venues: indicators of the composite and of kraken, each equal to an independent computation on that venue's candles", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = `${dir}/a.db`;
    await replayIntoSqlite(dir, db, fixture.lines, [
      "--partitions=2",
      "--analytics-venue=composite,kraken",
    ]);
    const candles = sqliteRows(
      db,
      `SELECT venue, symbol, "interval", window_start, close FROM candles
       ORDER BY venue, symbol, "interval", window_start`,
    );
    const indicators = sqliteRows(
      db,
      `SELECT * FROM indicators ORDER BY venue, symbol, "interval", window_start`,
    );
    const series = (rows: Row[]) => {
      const out = new Map<string, Row[]>();
      for (const r of rows) {
        const key = `${r.venue} ${r.symbol} ${r.interval}`;
        out.set(key, [...(out.get(key) ?? []), r]);
      }
      return out;
    };
    const byCandles = series(candles);
    const byIndicators = series(indicators);
    // Every series of the named venues has its indicators; coinbase (not named) none.
    const named = [...byCandles.keys()].filter((k) => /^(composite|kraken) /.test(k));
    assert.deepEqual([...byIndicators.keys()].sort(), named.sort());
    assert.equal(named.length, 2 * 2 * 3, "two venues × two symbols × three intervals");
    for (const key of named) {
      const cs = byCandles.get(key)!;
      const rows = byIndicators.get(key)!;
      assert.deepEqual(
        rows.map((r) => [r.window_start, r.close]),
        cs.map((c) => [c.window_start, c.close]),
        `${key}: one row per stored candle, at its close`,
      );
      const expected = referenceIndicators(cs.map((c) => Number(c.close)));
      rows.forEach((r, i) => {
        for (const f of FIELDS) {
          assertClose(r[f] as number | null, expected[i][f], `${key} ${r.window_start} ${f}`);
        }
      });
    }
    // The two venues' 1m series are long enough to have warmed up every indicator.
    for (const venue of ["composite", "kraken"]) {
      const rows = byIndicators.get(`${venue} BTC-USD 1m`)!;
      assert.ok(rows.length > 30 && rows.at(-1)!.ema_slow !== null, `${venue} warmed up`);
    }
    // Alerts carry their venue, and their id is the venue's (the composite's as before venues).
    const alerts = sqliteRows(
      db,
      `SELECT id, venue, symbol, "interval", rule, window_start FROM alerts`,
    );
    assert.ok(alerts.some((a) => a.venue === "kraken"), "kraken's candle rules fired (this seed)");
    for (const a of alerts) {
      assert.ok(a.venue === "composite" || a.venue === "kraken", `alert ${a.id}`);
      const id = alertId(
        String(a.venue),
        String(a.symbol),
        String(a.interval),
        a.rule as never,
        Number(a.window_start),
      );
      assert.equal(a.id, id);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
