import { DatabaseSync } from "node:sqlite";
import assert from "node:assert/strict";
import { SqliteReader } from "../../../src/connectors/sqlite/sqlite_reader.ts";
import { SQLITE_MIGRATIONS } from "../../../src/connectors/sqlite/migrations.ts";
import { alertId } from "../../../src/market/anomaly/alert_id.ts";
import { SqliteStore } from "../../../src/connectors/sqlite/sqlite_store.ts";
import type { Alert } from "../../../src/market/alert.ts";
import type { Candle } from "../../../src/market/candle.ts";
import type { Tick } from "../../../src/market/tick.ts";
import { createRegistry } from "../../../src/telemetry/metrics.ts";

const candle = (over: Partial<Candle> = {}): Candle => ({
  venue: "coinbase",
  symbol: "BTC-USD",
  interval: "1m",
  window_start: 1_700_000_040_000,
  open: 1,
  high: 3,
  low: 0.5,
  close: 2,
  volume: 10,
  vwap: 1.5,
  trades: 4,
  first_ts: 1_700_000_040_001,
  last_ts: 1_700_000_099_000,
  version: 1,
  ...over,
});

async function withStore(fn: (store: SqliteStore, path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/nested/pipeline.db`;
  const store = new SqliteStore({ path });
  try {
    await store.migrate();
    await fn(store, path);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A database as an older release left it: the bookkeeping table and the first `version`
 * migrations (never edited once released), recorded as applied; the caller adds its rows.
 */
function databaseAtVersion(path: string, version: number): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec(`CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  for (const m of SQLITE_MIGRATIONS.slice(0, version)) {
    db.exec(m.sql);
    db.prepare("INSERT INTO schema_migrations VALUES (?, ?, 0)").run(m.version, m.name);
  }
  return db;
}

Deno.test("SqliteStore.migrate() creates the tables once and is safe to repeat", async () => {
  await withStore(async (store, path) => {
    await store.migrate();
    const again = new SqliteStore({ path });
    await again.migrate();
    const tables = again.db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    ).all().map((r) => r.name);
    await again.close();
    for (
      const t of ["alerts", "candles", "dead_letters", "indicators", "schema_migrations", "ticks"]
    ) {
      assert.ok(tables.includes(t), `table ${t} exists: ${tables}`);
    }
    const versions = store.db.prepare("SELECT count(*) AS n FROM schema_migrations").get();
    assert.equal(versions?.n, SQLITE_MIGRATIONS.length, "each migration applied once");
  });
});

Deno.test("SqliteStore keeps the highest candle version and ignores repeats", async () => {
  await withStore(async (store) => {
    await store.writeCandles([candle({ close: 2, version: 1 })]);
    await store.writeCandles([candle({ close: 5, high: 5, version: 2 })]);
    await store.writeCandles([candle({ close: 2, version: 1 })]); // replayed old version
    await store.writeCandles([candle({ close: 5, high: 5, version: 2 })]);
    const rows = new SqliteReader(store.db).candles({
      venue: "coinbase",
      symbol: "BTC-USD",
      interval: "1m",
      limit: 10,
    });
    assert.deepEqual(rows, [candle({ close: 5, high: 5, version: 2 })]);
  });
});

Deno.test("SqliteReader pages back with before: the latest candles starting earlier", async () => {
  await withStore(async (store) => {
    const starts = Array.from({ length: 10 }, (_, i) => i * 60_000);
    await store.writeCandles(starts.map((window_start) => candle({ window_start })));
    const reader = new SqliteReader(store.db);
    const page = (before?: number) =>
      reader.candles({ venue: "coinbase", symbol: "BTC-USD", interval: "1m", limit: 3, before })
        .map((c) => c.window_start / 60_000);
    assert.deepEqual(page(), [7, 8, 9]);
    assert.deepEqual(page(7 * 60_000), [4, 5, 6]);
    assert.deepEqual(page(2 * 60_000 + 1), [0, 1, 2]);
    assert.deepEqual(page(0), []);
  });
});

Deno.test("SqliteStore writes ticks, alerts and dead letters idempotently, hostile text intact", async () => {
  await withStore(async (store) => {
    const hostile = 'x\'); DROP TABLE candles; -- \\ "quoted" ☃ 𝄞 ' + "y".repeat(5000);
    const ticks: Tick[] = [
      { source: "s", symbol: "BTC-USD", price: 1.5, size: null, ts: 1, id: hostile },
      { source: "s", symbol: "BTC-USD", price: 2.5, size: 3, ts: 2, id: "2", side: "buy" },
    ];
    await store.writeTicks(ticks);
    await store.writeTicks(ticks);
    const alert: Alert = {
      id: "a1",
      venue: "composite",
      symbol: "BTC-USD",
      interval: "1m",
      rule: "price_spike",
      severity: "warning",
      value: 5,
      threshold: 4,
      window_start: 60_000,
      message: hostile,
    };
    await store.writeAlerts([alert]);
    await store.writeAlerts([alert]);
    const letter = {
      reason: "bad_price" as const,
      detail: "price -1",
      raw: hostile,
      source: "replay:f:3",
      ts: 5,
    };
    await store.writeDeadLetters([letter]);
    await store.writeDeadLetters([{ ...letter, ts: 9 }]);
    const tickRows = store.db.prepare("SELECT id, size, side FROM ticks ORDER BY ts").all();
    assert.deepEqual(tickRows.map((r) => ({ ...r })), [
      { id: hostile, size: null, side: null },
      { id: "2", size: 3, side: "buy" },
    ]);
    assert.deepEqual(new SqliteReader(store.db).alerts({ venue: "composite", limit: 5 }), [alert]);
    const dl = store.db.prepare("SELECT reason, raw, ts FROM dead_letters").all();
    assert.deepEqual(dl.map((r) => ({ ...r })), [{ reason: "bad_price", raw: hostile, ts: 5 }]);
    assert.equal(store.db.prepare("SELECT count(*) AS n FROM candles").get()?.n, 0, "still there");
  });
});

Deno.test("SqliteStore counts rows written in pipeline_sink_rows_written_total", async () => {
  const dir = await Deno.makeTempDir();
  const registry = createRegistry();
  const store = new SqliteStore({ path: `${dir}/m.db`, registry });
  await store.migrate();
  await store.writeCandles([candle(), candle({ window_start: 0 })]);
  const text = await registry.metrics();
  await store.close();
  await Deno.remove(dir, { recursive: true });
  assert.match(text, /pipeline_sink_rows_written_total\{sink="sqlite",table="candles"\} 2/);
});

Deno.test("SqliteStore.migrate() upgrades a version-1 database: ticks keep their rows and become (source, symbol, id, ts)", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/old.db`;
  try {
    // A database as the first release left it: migration 1 only, with a tick in it.
    const old = databaseAtVersion(path, 1);
    old.prepare("INSERT INTO ticks VALUES ('s', 'BTC-USD', '7', 100, 1, 1700000000000, 'buy')")
      .run();
    old.close();

    const store = new SqliteStore({ path });
    try {
      await store.migrate();
      const t = {
        source: "s",
        symbol: "BTC-USD",
        id: "7",
        price: 101,
        size: 2,
        ts: 1_700_003_660_000,
      };
      await store.writeTicks([t, { ...t }]);
      const rows = store.db.prepare("SELECT id, price, ts FROM ticks ORDER BY ts").all().map((
        r,
      ) => ({ ...r }));
      assert.deepEqual(rows, [
        { id: "7", price: 100, ts: 1_700_000_000_000 },
        { id: "7", price: 101, ts: 1_700_003_660_000 },
      ], "the old row kept; the same id at another time is another tick, stored once");
      const versions = store.db.prepare("SELECT version FROM schema_migrations ORDER BY version")
        .all()
        .map((r) => r.version);
      assert.deepEqual(versions, SQLITE_MIGRATIONS.map((m) => m.version));
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore.migrate() upgrades a database of the release before venues: its candles stay readable as the venue legacy", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/release.db`;
  try {
    // The schema the release before venue candles wrote (migrations 1 and 2, never edited since),
    // with candles as that release stored them: one row per (symbol, interval, window).
    const old = databaseAtVersion(path, 2);
    const insert = old.prepare(`INSERT INTO candles (symbol, "interval", window_start, open, high,
      low, close, volume, vwap, trades, first_ts, last_ts, version)
      VALUES (?, '1m', ?, 100, 110, 90, 105, ?, ?, 3, ?, ?, ?)`);
    insert.run("BTC-USD", 0, 2.5, 101.25, 1, 59_000, 2);
    insert.run("BTC-USD", 60_000, 0, null, 60_000, 61_000, 1);
    insert.run("ETH-USD", 0, 1, 100, 5, 6, 1);
    old.close();

    const store = new SqliteStore({ path });
    try {
      await store.migrate();
      const read = new SqliteReader(store.db);
      const legacy = read.candles({ venue: "legacy", symbol: "BTC-USD", interval: "1m", limit: 9 });
      const base = { symbol: "BTC-USD", interval: "1m", open: 100, high: 110, low: 90 };
      assert.deepEqual(legacy, [
        {
          venue: "legacy",
          ...base,
          window_start: 0,
          close: 105,
          volume: 2.5,
          vwap: 101.25,
          trades: 3,
          first_ts: 1,
          last_ts: 59_000,
          version: 2,
        },
        {
          venue: "legacy",
          ...base,
          window_start: 60_000,
          close: 105,
          volume: 0,
          vwap: null,
          trades: 3,
          first_ts: 60_000,
          last_ts: 61_000,
          version: 1,
        },
      ]);
      // New venue and composite candles of the same windows sit beside them.
      // Binance's BTC-USDT declared equivalent to BTC-USD: the row keeps the instrument.
      const venue = { ...legacy[0], venue: "binance", instrument: "BTC-USDT", version: 1 };
      const { instrument: _, ...plain } = venue;
      const composite = { ...plain, venue: "composite", constituents: ["binance"], excluded: [] };
      await store.writeCandles([venue, composite]);
      const q = { symbol: "BTC-USD", interval: "1m", limit: 9 };
      assert.deepEqual(read.candles({ ...q, venue: "binance" }), [venue]);
      assert.deepEqual(read.candles({ ...q, venue: "composite" }), [composite]);
      assert.equal(read.candles({ ...q, venue: "legacy" }).length, 2, "legacy rows untouched");
      assert.deepEqual(read.symbols(), ["BTC-USD", "ETH-USD"]);
      const versions = store.db.prepare("SELECT version FROM schema_migrations ORDER BY version")
        .all().map((r) => r.version);
      assert.deepEqual(versions, SQLITE_MIGRATIONS.map((m) => m.version));
    } finally {
      await store.close();
    }
    // Opening the upgraded file again applies nothing more and keeps every row.
    const again = new SqliteStore({ path });
    await again.migrate();
    assert.equal(Number(again.db.prepare("SELECT count(*) AS n FROM candles").get()!.n), 5);
    await again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore.migrate() upgrades a database of the release before analytics venues: its indicators and alerts are the composite's, ids unchanged", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/release.db`;
  try {
    // The schema the release before venue indicators wrote (migrations 1 to 4, never edited
    // since), with an indicator row and an alert as that release stored them.
    const old = databaseAtVersion(path, 4);
    old.exec(`INSERT INTO indicators VALUES ('BTC-USD', '1m', 60000, 105, 101, 102, 103, 55.5,
      110, 101, 92, 0.01, 3)`);
    old.exec(`INSERT INTO alerts VALUES ('BTC-USD|1m|price_spike|60000', 'BTC-USD', '1m',
      'price_spike', 'warning', 5, 4, 60000, 'BTC-USD 1m price_spike: z 5')`);
    old.close();

    const store = new SqliteStore({ path });
    try {
      await store.migrate();
      const indicators = store.db.prepare(
        `SELECT venue, symbol, "interval", window_start, rsi, version FROM indicators`,
      ).all().map((r) => ({ ...r }));
      assert.deepEqual(indicators, [
        {
          venue: "composite",
          symbol: "BTC-USD",
          interval: "1m",
          window_start: 60_000,
          rsi: 55.5,
          version: 3,
        },
      ]);
      const read = new SqliteReader(store.db);
      const [stored] = read.alerts({ venue: "composite", limit: 9 });
      assert.equal(stored.id, alertId("composite", "BTC-USD", "1m", "price_spike", 60_000));
      assert.equal(stored.venue, "composite");
      // The same alert raised again after the upgrade is the stored one; a venue's sits beside it.
      const kraken = {
        ...stored,
        id: alertId("kraken", "BTC-USD", "1m", "price_spike", 60_000),
        venue: "kraken",
      };
      await store.writeAlerts([{ ...stored, message: "again" }, kraken]);
      assert.deepEqual(read.alerts({ venue: "composite", limit: 9 }), [stored]);
      assert.deepEqual(read.alerts({ venue: "kraken", limit: 9 }), [kraken]);
      // An indicator row of another venue for the same window is another row; a lower version
      // of the composite's changes nothing.
      const row = {
        venue: "kraken",
        symbol: "BTC-USD",
        interval: "1m",
        window_start: 60_000,
        close: 104,
        sma: null,
        ema_fast: null,
        ema_slow: null,
        rsi: 40,
        bb_upper: null,
        bb_middle: null,
        bb_lower: null,
        volatility: null,
        version: 1,
      };
      await store.writeIndicators([row, { ...row, venue: "composite", rsi: 1, version: 2 }]);
      const rsi = store.db.prepare(`SELECT venue, rsi FROM indicators ORDER BY venue`).all()
        .map((r) => ({ ...r }));
      assert.deepEqual(rsi, [{ venue: "composite", rsi: 55.5 }, { venue: "kraken", rsi: 40 }]);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore.migrate() keys the ticks of a version-5 database by (symbol, ts, source, id): rows kept, one B-tree serves range reads and duplicates", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/release.db`;
  try {
    // The schema the release before (migrations 1 to 5), with ticks as it stored them.
    const old = databaseAtVersion(path, 5);
    const insert = old.prepare("INSERT INTO ticks VALUES (?, ?, ?, ?, ?, ?, ?)");
    insert.run("kraken", "BTC-USD", "9", 100, 1, 3_000, "buy");
    insert.run("coinbase", "BTC-USD", "10", 101, null, 1_000, null);
    insert.run("coinbase", "ETH-USD", "10", 50, 2, 2_000, "sell");
    old.close();

    const store = new SqliteStore({ path });
    try {
      await store.migrate();
      const db = store.db;
      const key = db.prepare("SELECT name FROM pragma_index_info('sqlite_autoindex_ticks_1')")
        .all().map((r) => r.name);
      assert.deepEqual(key, ["symbol", "ts", "source", "id"]);
      const indexes = db.prepare("SELECT name FROM pragma_index_list('ticks')").all()
        .map((r) => r.name);
      assert.deepEqual(indexes, ["sqlite_autoindex_ticks_1"], "no second index");
      // The rows as they were, columns in their old order.
      const rows = () =>
        db.prepare("SELECT * FROM ticks ORDER BY source, symbol, id").all().map((r) => ({ ...r }));
      assert.deepEqual(rows(), [
        {
          source: "coinbase",
          symbol: "BTC-USD",
          id: "10",
          price: 101,
          size: null,
          ts: 1_000,
          side: null,
        },
        {
          source: "coinbase",
          symbol: "ETH-USD",
          id: "10",
          price: 50,
          size: 2,
          ts: 2_000,
          side: "sell",
        },
        {
          source: "kraken",
          symbol: "BTC-USD",
          id: "9",
          price: 100,
          size: 1,
          ts: 3_000,
          side: "buy",
        },
      ]);
      // The same tick again is a duplicate; the same id at another time is another tick.
      const t = { source: "kraken", symbol: "BTC-USD", id: "9", price: 100, size: 1, ts: 3_000 };
      await store.writeTicks([t, { ...t, price: 102, ts: 4_000 }]);
      assert.equal(rows().length, 4);
      // A symbol's ticks over a time range read the key, not the whole table.
      const plan = db.prepare(
        "EXPLAIN QUERY PLAN SELECT * FROM ticks WHERE symbol = ? AND ts >= ? AND ts < ?",
      ).all("BTC-USD", 0, 5_000).map((r) => String(r.detail)).join("; ");
      assert.match(plan, /SEARCH ticks USING PRIMARY KEY \(symbol=\? AND ts>\? AND ts<\?\)/);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
