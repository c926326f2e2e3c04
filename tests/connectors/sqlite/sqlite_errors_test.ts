import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { sqliteErrorKind } from "../../../src/connectors/sqlite/sqlite_errors.ts";
import { SqliteStore } from "../../../src/connectors/sqlite/sqlite_store.ts";
import { StoreError } from "../../../src/connectors/store_error.ts";
import type { Tick } from "../../../src/market/tick.ts";
import { createRegistry } from "../../../src/telemetry/metrics.ts";

const tick = (id: string): Tick => ({
  source: "s",
  symbol: "BTC-USD",
  price: 1,
  size: 1,
  ts: 1_700_000_000_000,
  id,
});

async function withStore(
  fn: (store: SqliteStore, path: string, metrics: () => Promise<string>) => Promise<void>,
) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/pipeline.db`;
  const registry = createRegistry();
  const store = new SqliteStore({ path, registry });
  try {
    await store.migrate();
    await fn(store, path, () => registry.metrics());
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("sqliteErrorKind(): the environment's faults are transient, the data's are fatal", () => {
  const e = (message: string, errcode?: number) => Object.assign(new Error(message), { errcode });
  assert.equal(sqliteErrorKind(e("database is locked", 5)), "transient");
  assert.equal(sqliteErrorKind(e("database is locked (517)", 517)), "transient"); // BUSY_SNAPSHOT
  assert.equal(sqliteErrorKind(e("database or disk is full", 13)), "transient");
  assert.equal(sqliteErrorKind(e("disk I/O error", 266)), "transient"); // IOERR_READ
  assert.equal(sqliteErrorKind(e("NOT NULL constraint failed: t.x", 1299)), "fatal");
  assert.equal(sqliteErrorKind(e("string or blob too big", 18)), "fatal");
  // exec() errors carry only the message.
  assert.equal(sqliteErrorKind(e("database is locked")), "transient");
  assert.equal(sqliteErrorKind(e("database or disk is full")), "transient");
  assert.equal(sqliteErrorKind(e("no such table: ticks")), "fatal");
});

Deno.test("SqliteStore: a database locked by another process fails retriably, names the lock, counts it", async () => {
  await withStore(async (store, path, metrics) => {
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      const error = await store.writeTicks([tick("1")]).then(() => null, (e) => e);
      assert.ok(error instanceof StoreError, `a StoreError: ${error}`);
      assert.equal(error.retriable, true);
      assert.match(error.message, /database is locked/);
      assert.match(
        await metrics(),
        /pipeline_sink_errors_total\{sink="sqlite",kind="transient"\} 1/,
      );
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    await store.writeTicks([tick("1")]);
    assert.equal(store.db.prepare("SELECT count(*) AS n FROM ticks").get()!.n, 1);
  });
});

Deno.test("SqliteStore: a full database reports the real cause (not a failed ROLLBACK) and recovers", async () => {
  await withStore(async (store) => {
    const pages = Number(store.db.prepare("PRAGMA page_count").get()!.page_count);
    // max_page_count makes SQLite answer exactly as on a full disk: SQLITE_FULL.
    store.db.exec(`PRAGMA max_page_count = ${pages + 1}`);
    const many = Array.from({ length: 5000 }, (_, i) => tick(String(i)));
    const error = await store.writeTicks(many).then(() => null, (e) => e);
    assert.ok(error instanceof StoreError, `a StoreError: ${error}`);
    assert.equal(error.retriable, true, "a full disk is transient");
    assert.match(error.message, /database or disk is full/);
    assert.doesNotMatch(error.message, /rollback/i);
    assert.equal(store.db.isTransaction, false, "no transaction left open");
    store.db.exec("PRAGMA max_page_count = 1073741823");
    await store.writeTicks(many);
    assert.equal(store.db.prepare("SELECT count(*) AS n FROM ticks").get()!.n, 5000);
  });
});

Deno.test("SqliteStore: a row no retry can fix is a fatal StoreError", async () => {
  await withStore(async (store) => {
    const error = await store.writeTicks([{ ...tick("1"), price: null as unknown as number }])
      .then(() => null, (e) => e);
    assert.ok(error instanceof StoreError, `a StoreError: ${error}`);
    assert.equal(error.retriable, false);
    assert.match(error.message, /NOT NULL constraint/);
  });
});

Deno.test("SqliteStore: instances opening one new file at once all migrate (no 'database is locked')", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/shared.db`;
    const store = new URL("../../../src/connectors/sqlite/sqlite_store.ts", import.meta.url).href;
    const script = `import { SqliteStore } from "${store}";
      const s = new SqliteStore({ path: ${JSON.stringify(path)} });
      await s.migrate();
      await s.writeTicks([{ source: "p" + Deno.pid, symbol: "BTC-USD", price: 1, size: 1, ts: 1700000000000, id: "1" }]);
      await s.close();`;
    const runs = Array.from(
      { length: 8 },
      () => new Deno.Command(Deno.execPath(), { args: ["eval", script], stderr: "piped" }).output(),
    );
    const results = await Promise.all(runs);
    for (const r of results) {
      assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    }
    const db = new DatabaseSync(path, { readOnly: true });
    assert.equal(db.prepare("SELECT count(*) AS n FROM ticks").get()!.n, 8);
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
