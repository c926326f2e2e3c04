import assert from "node:assert/strict";
import { WindowCore, type WindowSettings } from "../../actors/windows/window_core.ts";
import type { Candle } from "../../src/market/candle.ts";
import { parseIntervals } from "../../src/market/interval.ts";
import type { Tick } from "../../src/market/tick.ts";
import { compareCandles, expectedCandles, generateReplay } from "../helpers/replay_fixture.ts";

const INTERVALS = ["1m", "5m", "1h"];
const SETTINGS: WindowSettings = {
  intervals: parseIntervals(INTERVALS.join(",")),
  allowedLatenessMs: 2000,
  lateUpdateWindowMs: 60_000,
};

/** Every candle a core emits for `ticks` (in order, then end of input). */
function emitted(ticks: readonly Tick[], settings = SETTINGS): Candle[] {
  const core = new WindowCore(settings, { record: () => {} }, null);
  const out: Candle[] = [];
  for (const t of ticks) {
    core.add(t);
    out.push(...core.take().candles);
  }
  core.flush();
  out.push(...core.take().candles);
  return out;
}

/** The latest version of each (venue, symbol, interval, window). */
function latest(candles: readonly Candle[]): Candle[] {
  const m = new Map<string, Candle>();
  for (const c of candles) {
    const k = `${c.venue}|${c.symbol}|${c.interval}|${c.window_start}`;
    const prev = m.get(k);
    assert.ok(!prev || prev.version + 1 === c.version, `${k}: versions go up by one`);
    m.set(k, c);
  }
  return [...m.values()].sort(compareCandles);
}

// Three venues trading the same symbols, out of order, with late and duplicate trades.
const fixture = generateReplay({
  seed: 20,
  ticks: 12_000,
  symbols: ["BTC-USD", "ETH-USD"],
  start: Date.UTC(2026, 2, 1),
  gapMs: 200,
  venues: ["coinbase", "kraken", "binance"],
});
const ticks: Tick[] = fixture.valid.map((t) => ({ ...t }));

Deno.test("WindowCore: venue candles and composites of a three-venue replay equal the independent computation", () => {
  // A short staleness limit, so that some venues are quiet at some windows' ends.
  const composite = { staleAfterMs: 1500 };
  const got = latest(emitted(ticks, { ...SETTINGS, composite }));
  const want = expectedCandles(fixture.valid, {
    partitions: 1,
    intervals: INTERVALS,
    latenessMs: 2000,
    lateUpdateMs: 60_000,
    composite,
  });
  assert.equal(got.length, want.length);
  got.forEach((c, i) => assert.deepEqual(c, want[i], `candle ${i}`));
  const venues = new Set(got.map((c) => c.venue));
  assert.deepEqual([...venues].sort(), ["binance", "coinbase", "composite", "kraken"]);
  assert.ok(got.some((c) => c.venue === "composite" && c.version > 1), "late data revises");
  assert.ok(got.some((c) => c.venue !== "composite" && c.version > 1));
  assert.ok(
    got.some((c) => c.excluded?.some((e) => e.reason === "stale")),
    "windows leave out venues quiet at their end",
  );
});

Deno.test("WindowCore: a composite follows its venue candles in the same step, and a venue outside --composite-venues does not feed it", () => {
  const all = emitted(ticks, { ...SETTINGS, composite: { venues: ["coinbase", "kraken"] } });
  const composites = all.filter((c) => c.venue === "composite");
  assert.ok(composites.length > 0);
  assert.ok(composites.every((c) => !c.constituents!.includes("binance")));
  assert.ok(composites.every((c) => !c.excluded!.some((e) => e.venue === "binance")));
  // The venue candles of each step come first, then the composites they changed.
  const want = expectedCandles(fixture.valid, {
    partitions: 1,
    intervals: INTERVALS,
    latenessMs: 2000,
    lateUpdateMs: 60_000,
    composite: { venues: ["coinbase", "kraken"] },
  }).filter((c) => c.venue === "composite");
  // Composite versions count the coinbase and kraken steps only: compare values, not versions.
  const got = latest(composites);
  assert.equal(got.length, want.length);
  got.forEach((c, i) => assert.deepEqual({ ...c, version: 0 }, { ...want[i], version: 0 }));
});

Deno.test("WindowCore stamps a renamed instrument on its venue's candles (Binance's BTC-USDT as BTC-USD)", () => {
  const at = Date.UTC(2026, 2, 1);
  const t = (source: string, price: number, id: string): Tick => ({
    source,
    symbol: "BTC-USD",
    price,
    size: 1,
    ts: at + Number(id),
    id,
  });
  const out = emitted([t("binance", 100, "1"), t("coinbase", 101, "2")], {
    ...SETTINGS,
    intervals: parseIntervals("1m"),
    instruments: { binance: { "BTC-USD": "BTC-USDT" } },
  });
  assert.deepEqual(out.map((c) => [c.venue, c.instrument, c.constituents]), [
    ["binance", "BTC-USDT", undefined],
    ["coinbase", undefined, undefined],
    ["composite", undefined, ["binance", "coinbase"]],
  ]);
});
