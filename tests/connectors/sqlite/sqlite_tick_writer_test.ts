/**
 * SQLite's tick writer thread: the rows it writes equal the event loop's, an acknowledged batch
 * is committed, a lock is a retriable failure and a bad row a fatal one (nothing of its batch
 * kept), the thread loads under the launcher's permissions, and the sink gives the store the
 * mailbox it needs.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { forEachPackedTick, packTicks } from "../../../src/connectors/sqlite/packed_ticks.ts";
import {
  CHECKPOINT_EVERY_ROWS,
  EVENT_LOOP_AUTOCHECKPOINT_PAGES,
  SqliteStore,
} from "../../../src/connectors/sqlite/sqlite_store.ts";
import { StoreError } from "../../../src/connectors/store_error.ts";
import { THREAD_AUTOCHECKPOINT_PAGES } from "../../../src/connectors/sqlite/sqlite_writes.ts";
import { storeSinkProps } from "../../../actors/sinks/store_sink.ts";
import { testConfig } from "../../helpers/test_pipeline.ts";
import { runUnderLauncherPermissions } from "../../helpers/launcher_probe.ts";
import { usesSqliteThread, usesSqliteTickThread } from "../../../src/config/pipeline_config.ts";
import type { Alert } from "../../../src/market/alert.ts";
import type { Candle } from "../../../src/market/candle.ts";
import type { Tick } from "../../../src/market/tick.ts";
import { createRegistry } from "../../../src/telemetry/metrics.ts";
import { createLogger } from "../../../src/logger.ts";
import { pollUntil } from "../../helpers/services.ts";

const hostile = "x'); DROP TABLE ticks; --\u0000\n\u{1F600}";

const ticks: Tick[] = [
  { source: "s", symbol: "BTC-USD", price: 1.5, size: null, ts: 1, id: hostile },
  { source: "s", symbol: "BTC-USD", price: 2.5, size: 3, ts: 2, id: "2", side: "buy" },
  {
    source: "t",
    symbol: "ETH-USD",
    price: 0.1 + 0.2,
    size: 0,
    ts: 2 ** 52 + 1,
    id: "",
    side: "sell",
  },
  { source: "s", symbol: "BTC-USD", price: 4, size: 1e-9, ts: 3, id: "2", side: "buy" },
  // The previous tick's key again, another side: the first one written must stay.
  { source: "s", symbol: "BTC-USD", price: 9, size: 1, ts: 3, id: "2", side: "sell" },
];

const candle: Candle = {
  venue: "composite",
  symbol: "BTC-USD",
  interval: "1m",
  window_start: 60_000,
  open: 1,
  high: 3,
  low: 0.5,
  close: 2,
  volume: 10,
  vwap: null,
  trades: 4,
  first_ts: 60_001,
  last_ts: 119_000,
  version: 1,
  constituents: ["coinbase", "kraken"],
  excluded: [{ venue: "binance", reason: "stale" }],
};

const alert: Alert = {
  id: "kraken/a1",
  venue: "kraken",
  symbol: "BTC-USD",
  interval: "1m",
  rule: "price_spike",
  severity: "warning",
  value: 5,
  threshold: 4,
  window_start: 60_000,
  message: hostile,
};

async function withStores(
  fn: (thread: SqliteStore, loop: SqliteStore, path: string) => Promise<void>,
) {
  const dir = await Deno.makeTempDir();
  const registry = createRegistry();
  const thread = new SqliteStore({ path: `${dir}/thread.db`, registry, tickThread: true });
  const loop = new SqliteStore({ path: `${dir}/loop.db` });
  try {
    await thread.migrate();
    await loop.migrate();
    await fn(thread, loop, `${dir}/thread.db`);
  } finally {
    await thread.close();
    await loop.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Opens a store under the launcher's permissions and prints what its thread did. */
const PROBE = new URL("../../helpers/sqlite_tick_writer_probe.ts", import.meta.url);

/** Runs `fn` with a new temporary directory, removed afterwards. */
async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The WAL pages past which `store`'s own connection checkpoints. */
function autocheckpointPages(store: SqliteStore): number {
  return Number(store.db.prepare("PRAGMA wal_autocheckpoint").get()!.wal_autocheckpoint);
}

/** `n` 1-minute candles of one series, the first at window `from + 1`. */
function candlesFrom(from: number, n: number): Candle[] {
  return Array.from(
    { length: n },
    (_, i) => ({ ...candle, window_start: 60_000 * (from + i + 1) }),
  );
}

function dump(db: DatabaseSync): unknown {
  const all = (sql: string) => db.prepare(sql).all().map((r) => ({ ...r }));
  return {
    ticks: all("SELECT * FROM ticks ORDER BY source, symbol, id, ts"),
    candles: all("SELECT * FROM candles"),
    alerts: all("SELECT * FROM alerts"),
    dead_letters: all("SELECT reason, detail, raw, source, ts FROM dead_letters"),
  };
}

Deno.test("packTicks(): every column comes back as it went in, grouped by source and symbol, nulls as null, ids with U+0000 too", () => {
  const out: unknown[][] = [];
  forEachPackedTick(packTicks(ticks), (...row) => out.push(row));
  // Grouped by (source, symbol) in order of first appearance, arrival order within each.
  assert.deepEqual(
    out,
    [0, 1, 3, 4, 2].map((i) => ticks[i]).map((
      t,
    ) => [t.source, t.symbol, t.id, t.price, t.size, t.ts, t.side ?? null]),
  );
  const plain = ticks.map((t, i) => ({ ...t, id: `id${i}` }));
  const packed = packTicks(plain);
  assert.equal(typeof packed.ids, "string", "ids without U+0000 travel as one string");
  assert.equal(packed.keys.length, 4 * 3, "four distinct (source, symbol, side)");
  const none: unknown[] = [];
  forEachPackedTick(packTicks([]), (...row) => none.push(row));
  assert.deepEqual(none, []);
});

Deno.test("SqliteStore tick thread: writes exactly what the event-loop writer writes, idempotently", async () => {
  await withStores(async (thread, loop) => {
    for (const store of [thread, loop]) {
      for (let i = 0; i < 2; i++) {
        await store.writeTicks(ticks);
        await store.writeCandles([candle]);
        await store.writeAlerts([alert]);
        await store.writeDeadLetters([{
          reason: "bad_price",
          detail: "price -1",
          raw: hostile,
          source: "replay:f:3",
          ts: 5,
        }]);
      }
    }
    const written = dump(thread.db);
    assert.deepEqual(written, dump(loop.db));
    assert.equal((written as { ticks: unknown[] }).ticks.length, 4);
  });
});

Deno.test("SqliteStore tick thread: an acknowledged batch is committed, visible to another connection", async () => {
  await withStores(async (thread, _loop, path) => {
    const many = Array.from({ length: 20_000 }, (_, i): Tick => ({
      source: "s",
      symbol: `S${i % 7}`,
      price: 1 + i,
      size: i,
      ts: i,
      id: String(i),
    }));
    await thread.writeTicks(many);
    const other = new DatabaseSync(path, { readOnly: true });
    try {
      const row = other.prepare("SELECT count(*) AS n, sum(price) AS p FROM ticks").get()!;
      assert.deepEqual({ ...row }, { n: 20_000, p: many.reduce((s, t) => s + t.price, 0) });
    } finally {
      other.close();
    }
  });
});

Deno.test("SqliteStore tick thread: a lock held by another process is a retriable StoreError, then it writes", async () => {
  await withStores(async (thread, _loop, path) => {
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      const error = await thread.writeTicks(ticks).then(() => null, (e) => e);
      assert.ok(error instanceof StoreError, `a StoreError: ${error}`);
      assert.equal(error.retriable, true);
      assert.match(error.message, /database is locked/);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    await thread.writeTicks(ticks);
    assert.equal(thread.db.prepare("SELECT count(*) AS n FROM ticks").get()!.n, 4);
  });
});

Deno.test("SqliteStore tick thread: a row no retry can fix is a fatal StoreError, nothing of its batch kept", async () => {
  await withStores(async (thread) => {
    const bad = [ticks[1], { ...ticks[0], price: null as unknown as number }];
    const error = await thread.writeTicks(bad).then(() => null, (e) => e);
    assert.ok(error instanceof StoreError, `a StoreError: ${error}`);
    assert.equal(error.retriable, false);
    assert.match(error.message, /NOT NULL constraint/);
    assert.equal(thread.db.prepare("SELECT count(*) AS n FROM ticks").get()!.n, 0);
  });
});

Deno.test("SqliteStore tick thread: a write after close() is refused, not a thread left running", async () => {
  await withTempDir(async (dir) => {
    const store = new SqliteStore({ path: `${dir}/c.db`, tickThread: true });
    await store.migrate();
    await store.writeTicks(ticks);
    await store.close();
    const error = await store.writeTicks(ticks).then(() => null, (e) => e);
    assert.ok(error instanceof StoreError, `a StoreError: ${error}`);
    assert.match(error.message, /closed/);
  });
});

Deno.test("SqliteStore: an in-memory database cannot have a tick or checkpoint thread", () => {
  assert.throws(() => new SqliteStore({ path: ":memory:", tickThread: true }), TypeError);
  assert.throws(() => new SqliteStore({ path: ":memory:", checkpointThread: true }), TypeError);
});

Deno.test("SqliteStore checkpoint thread: loads and checkpoints under the launcher's permissions without raw ticks", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/probe.db`;
    const config = testConfig([`--sqlite=${path}`, "--http=off", "--no-store-ticks"]);
    assert.equal(usesSqliteThread(config), true);
    const run = await runUnderLauncherPermissions(config, PROBE, [path, "checkpoint"]);
    assert.equal(run.code, 0, run.text);
    assert.match(run.text, /checkpoint done/);
    // The control: without the thread, the launcher does not grant its modules.
    const off = testConfig([
      `--sqlite=${path}`,
      "--http=off",
      "--no-store-ticks",
      "--sqlite-tick-thread=false",
    ]);
    const denied = await runUnderLauncherPermissions(off, PROBE, [path, "checkpoint"]);
    assert.notEqual(denied.code, 0, denied.text);
    assert.match(denied.text, /Requires read access to .*sqlite_tick_writer_main\.ts/);
  });
});

Deno.test("SqliteStore tick thread: the sink's mailbox gathers the next batch while one is written", async () => {
  await withStores((thread, loop) => {
    const registry = createRegistry();
    const mailbox = (store: SqliteStore) => storeSinkProps("sink", store, {}, { registry }).mailbox;
    assert.deepEqual(
      { ...mailbox(thread) },
      { capacity: thread.sinkMailbox, policy: "block", batchSize: thread.sinkMailbox },
    );
    assert.ok(thread.sinkMailbox! > 64);
    // Its bulk writes are in flight while the thread commits: natural batching, no bulk timer.
    assert.equal(thread.blocksEventLoop, false);
    assert.equal(loop.blocksEventLoop, true);
    // Its own connection checkpoints only past a larger WAL (the thread's does at
    // THREAD_AUTOCHECKPOINT_PAGES), never not at all: a WAL without ticks written must stay
    // bounded too. Without the thread, the connection keeps SQLite's own 1,000 pages.
    assert.equal(autocheckpointPages(thread), EVENT_LOOP_AUTOCHECKPOINT_PAGES);
    assert.equal(autocheckpointPages(loop), 1000);
    // The thread's connection reaches its threshold first, so a candle's commit never copies
    // the ticks' pages.
    assert.ok(THREAD_AUTOCHECKPOINT_PAGES < EVENT_LOOP_AUTOCHECKPOINT_PAGES);
    assert.deepEqual({ ...mailbox(loop) }, { capacity: 64, policy: "block", batchSize: 64 });
    return Promise.resolve();
  });
});

Deno.test("--sqlite-tick-thread: on by default in embedded mode with raw ticks in a file; never in Kafka mode", () => {
  const uses = (...args: string[]) =>
    usesSqliteTickThread(testConfig(["--sqlite=/tmp/x.db", ...args]));
  assert.equal(uses(), true);
  assert.equal(uses("--sqlite-tick-thread=false"), false);
  assert.equal(uses("--no-store-ticks"), false);
  assert.equal(uses("--sqlite=:memory:"), false);
  assert.equal(uses("--sqlite="), false);
  assert.equal(uses("--kafka-brokers=127.0.0.1:9092", "--role=all"), false);
  // The thread itself (the WAL checkpoints) runs without raw ticks too.
  const thread = (...args: string[]) =>
    usesSqliteThread(testConfig(["--sqlite=/tmp/x.db", ...args]));
  assert.equal(thread(), true);
  assert.equal(thread("--no-store-ticks"), true);
  assert.equal(thread("--sqlite-tick-thread=false"), false);
  assert.equal(thread("--sqlite=:memory:"), false);
  assert.equal(thread("--kafka-brokers=127.0.0.1:9092", "--role=all"), false);
});

Deno.test("SqliteStore checkpoint thread: without raw ticks, the thread copies the WAL into the file, not the event loop's commits", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/k.db`;
    const store = new SqliteStore({ path, checkpointThread: true });
    await store.migrate();
    const before = Deno.statSync(path).size;
    // Past the request threshold, far below the event loop connection's own checkpoint.
    const rows = candlesFrom(0, CHECKPOINT_EVERY_ROWS + 1);
    await store.writeCandles(rows);
    assert.equal(autocheckpointPages(store), EVENT_LOOP_AUTOCHECKPOINT_PAGES);
    const wal = Deno.statSync(`${path}-wal`).size;
    assert.ok(wal < EVENT_LOOP_AUTOCHECKPOINT_PAGES * 4096, `a WAL of ${wal} bytes`);
    // The candles reach the database file itself only through a checkpoint.
    await pollUntil("a checkpoint", () => Deno.statSync(path).size > before, 10_000, 10);
    const reader = new DatabaseSync(path, { readOnly: true });
    try {
      assert.equal(reader.prepare("SELECT count(*) AS n FROM candles").get()!.n, rows.length);
    } finally {
      reader.close();
    }
    await store.close();
  });
});

Deno.test("SqliteStore checkpoint thread: a failing checkpoint is logged once, and the writes go on", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/f.db`;
    const lines: string[] = [];
    const logger = createLogger({ level: "info", pretty: false, write: (l) => lines.push(l) });
    const failed = () => lines.filter((l) => l.includes("checkpoint on its thread failed")).length;
    const store = new SqliteStore({ path, checkpointThread: true, logger });
    await store.migrate();
    // The file is moved away under the running store: the thread's connection, opened with the
    // first request, finds an empty database at the path and cannot prepare its statement.
    await Deno.rename(path, `${dir}/moved.db`);
    await store.writeCandles(candlesFrom(0, CHECKPOINT_EVERY_ROWS));
    await pollUntil("the warning", () => failed() > 0, {
      timeoutMs: 10_000,
      describe: () => lines,
    });
    // Later failures are not logged again; the event loop's writes go on.
    for (let k = 1; k <= 3; k++) {
      await store.writeCandles(candlesFrom(k * CHECKPOINT_EVERY_ROWS, CHECKPOINT_EVERY_ROWS));
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(failed(), 1);
    assert.equal(
      store.db.prepare("SELECT count(*) AS n FROM candles").get()!.n,
      4 * CHECKPOINT_EVERY_ROWS,
    );
    await store.close();
  });
});

Deno.test("SqliteStore tick thread: loads and writes under the permissions the launcher gives the embedded pipeline", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/probe.db`;
    const config = testConfig([`--sqlite=${path}`, "--http=off"]);
    assert.equal(usesSqliteTickThread(config), true);
    const { code, text } = await runUnderLauncherPermissions(config, PROBE, [path]);
    assert.equal(code, 0, text);
    assert.match(text, /ticks 3/);
  });
});
