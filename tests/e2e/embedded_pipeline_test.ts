import assert from "node:assert/strict";
import {
  compareCandles,
  expectedCandles,
  fromSqliteRow,
  generateReplay,
} from "../helpers/replay_fixture.ts";
import { dumpResults } from "../helpers/sqlite_dump.ts";
import { replayIntoSqlite } from "../helpers/test_pipeline.ts";

const fixture = generateReplay({
  seed: 2026,
  ticks: 20_000,
  symbols: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "ADA-USD"],
  start: Date.UTC(2026, 10, 1, 0, 0, 0),
  gapMs: 150,
  // Two venues trading the same symbols: one candle each, and the composite of both.
  venues: ["coinbase", "kraken"],
});

const runReplay = (dir: string, db: string, extra: string[] = []) =>
  replayIntoSqlite(dir, db, fixture.lines, ["--partitions=3", ...extra]);

const dump = (db: string) => dumpResults(db, { deadLetters: "by-reason" });

Deno.test("embedded pipeline: replayed candles equal independently computed candles", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await runReplay(dir, `${dir}/a.db`);
    const got = dump(`${dir}/a.db`);
    const expected = expectedCandles(fixture.valid, {
      partitions: 3,
      intervals: ["1m", "5m", "1h"],
      latenessMs: 2000,
      lateUpdateMs: 60_000,
    });
    const candles = (got.candles as Record<string, unknown>[]).map(fromSqliteRow)
      .sort(compareCandles);
    assert.equal(candles.length, expected.length, "one row per venue and window, and composites");
    for (let i = 0; i < expected.length; i++) {
      assert.deepEqual(
        candles[i],
        expected[i],
        `candle ${i} (${expected[i].venue} ${expected[i].symbol} ${expected[i].interval})`,
      );
    }
    // Bad lines are dead letters with the right reason; late ticks too.
    const dl = got.dead_letters as { reason: string; source: string }[];
    for (const [line, reason] of fixture.bad) {
      assert.ok(
        dl.some((d) => d.source === `replay:ticks.ndjson:${line}` && d.reason === reason),
        `line ${line} is a ${reason} dead letter`,
      );
    }
    assert.ok(dl.some((d) => d.reason === "late"), "late ticks are dead letters");
    // Every distinct valid tick is stored raw, once.
    const distinct = new Set(fixture.valid.map((t) => `${t.source}|${t.symbol}|${t.id}`));
    assert.equal(got.ticks.length, distinct.size);
    assert.ok(got.indicators.length > 0, "indicators are stored");
    for (const venue of ["coinbase", "kraken", "composite"]) {
      assert.ok(candles.some((c) => c.venue === venue && c.version > 1), `${venue} revisions`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("embedded pipeline: a replay is reproducible byte for byte and idempotent on re-run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await runReplay(dir, `${dir}/a.db`);
    await runReplay(dir, `${dir}/b.db`, ["--bus-capacity=16"]);
    const a = dump(`${dir}/a.db`);
    assert.deepEqual(dump(`${dir}/b.db`), a, "other mailbox sizes, same rows");
    await runReplay(dir, `${dir}/a.db`);
    assert.deepEqual(dump(`${dir}/a.db`), a, "replaying into the same file adds nothing");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
