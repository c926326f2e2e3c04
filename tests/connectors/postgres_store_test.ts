import assert from "node:assert/strict";
import { PostgresStore } from "../../src/connectors/postgres/postgres_store.ts";
import { PostgresConfigError } from "../../src/connectors/postgres/postgres_config.ts";
import { applyMigrations, MIGRATIONS } from "../../src/connectors/postgres/migrations.ts";
import type { Alert } from "../../src/market/alert.ts";
import { alertId } from "../../src/market/anomaly/alert_id.ts";
import type { DeadLetter } from "../../src/market/dead_letter.ts";
import type { Tick } from "../../src/market/tick.ts";
import { createRegistry } from "../../src/telemetry/metrics.ts";
import { createTestSchema, postgresAvailable, TEST_DATABASE_URL } from "../helpers/postgres_db.ts";
import { pollUntil } from "../helpers/services.ts";
import { TcpProxy } from "../helpers/tcp_proxy.ts";
import { HOSTILE_STRINGS } from "./hostile_values.ts";
import { isStoreError } from "./store_error_assert.ts";

const available = await postgresAvailable();
const T0 = Date.UTC(2026, 0, 1);

function ticks(n: number, from = 0): Tick[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      source: "sim",
      symbol: i % 2 ? "BTC-USD" : "ETH-USD",
      id: String(i),
      price: 100 + i / 7,
      size: i % 5 ? 0.001 * i : null,
      ts: T0 + i * 37,
      ...(i % 3 ? { side: i % 2 ? "buy" as const : "sell" as const } : {}),
    };
  });
}

async function withStore(
  fn: (store: PostgresStore, db: ReturnType<typeof createTestSchema>) => Promise<void>,
  options: {
    url?: string;
    registry?: ReturnType<typeof createRegistry>;
    writeTimeoutMs?: number;
  } = {},
) {
  const db = createTestSchema("pgstore");
  const store = new PostgresStore({
    url: options.url ?? db.url,
    schema: db.schema,
    poolSize: 2,
    connectTimeoutMs: 2000,
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.writeTimeoutMs ? { writeTimeoutMs: options.writeTimeoutMs } : {}),
  });
  try {
    await store.migrate();
    await fn(store, db);
  } finally {
    await store.close(1);
    await db.drop();
  }
}

Deno.test("resolvePostgresConfig() reports every problem at once", () => {
  assert.throws(
    () => new PostgresStore({ url: "mysql://x", schema: "a;b", poolSize: 0, bogus: 1 } as never),
    (err: unknown) => {
      if (!(err instanceof PostgresConfigError)) return false;
      assert.equal(err.problems.length, 4, err.problems.join("\n"));
      return true;
    },
  );
});

Deno.test({
  name: "PostgresStore applies its statement timeout to every pooled connection",
  ignore: !available,
  fn: async () => {
    const db = createTestSchema("pgopt");
    const store = new PostgresStore({
      url: db.url,
      schema: db.schema,
      poolSize: 3,
      statementTimeoutMs: 1500,
    });
    try {
      const rows = await Promise.all(
        [1, 2, 3].map(() => store.sql`SHOW statement_timeout`.then((r) => r[0].statement_timeout)),
      );
      assert.deepEqual(rows, ["1500ms", "1500ms", "1500ms"]);
      await assert.rejects(
        store.sql`SELECT pg_sleep(5)`,
        (err: unknown) => (err as { code?: string }).code === "57014",
      );
    } finally {
      await store.close(1);
      await db.drop();
    }
  },
});

Deno.test({
  name: "PostgresStore.migrate() is safe when two instances start at once",
  ignore: !available,
  fn: async () => {
    const db = createTestSchema("pgmig");
    const stores = [0, 1, 2].map(() => new PostgresStore({ url: db.url, schema: db.schema }));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      await stores[0].migrate();
      const rows = await db.sql.unsafe(
        `SELECT version FROM "${db.schema}".schema_migrations ORDER BY version`,
      );
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
    } finally {
      await Promise.all(stores.map((s) => s.close(1)));
      await db.drop();
    }
  },
});

Deno.test({
  name: "PostgresStore.writeTicks() is idempotent and round-trips every field",
  ignore: !available,
  fn: () =>
    withStore(async (store, db) => {
      const batch = ticks(1000);
      await store.writeTicks(batch);
      await store.writeTicks(batch);
      await store.writeTicks([...ticks(10, 995), ...ticks(10, 995)]); // overlap + in-batch dups
      const rows = await db.sql.unsafe(
        `SELECT source, symbol, id, price, size, (extract(epoch from ts) * 1000)::int8 AS ts, side
         FROM "${db.schema}".ticks ORDER BY id::int`,
      );
      assert.equal(rows.length, 1005);
      const expected = ticks(1005).map((t) => ({ side: null, ...t }));
      const actual = rows.map((r) => ({ ...r, ts: Number(r.ts) }));
      const sorted = (xs: Record<string, unknown>[]) =>
        xs.map((x) => JSON.stringify(Object.fromEntries(Object.entries(x).sort())));
      assert.deepEqual(sorted(actual), sorted(expected));
    }),
});

Deno.test({
  name: "PostgresStore.writeTicks() takes a batch far above the 65,534-parameter limit",
  ignore: !available,
  fn: () =>
    withStore(async (store, db) => {
      await store.writeTicks(ticks(30_000)); // 210,000 values if bound one by one
      const [{ n }] = await db.sql.unsafe(`SELECT count(*)::int AS n FROM "${db.schema}".ticks`);
      assert.equal(n, 30_000);
    }),
});

Deno.test({
  name: "PostgresStore writes hostile strings intact (ticks, alerts, dead letters)",
  ignore: !available,
  fn: () =>
    withStore(async (store, db) => {
      // Key columns are btree-indexed (≤ 2,704 bytes a row), so the 100k string goes in text fields.
      const keys = HOSTILE_STRINGS.filter((s) => s.length < 1000);
      const hostileTicks: Tick[] = keys.map((s, k) => ({
        source: s,
        symbol: s,
        id: `${k}:${s}`,
        price: 1,
        size: null,
        ts: T0,
      }));
      await store.writeTicks(hostileTicks);
      await store.writeTicks(hostileTicks);
      const alerts: Alert[] = HOSTILE_STRINGS.map((s, k) => ({
        id: `a${k}${keys[k % keys.length]}`,
        venue: "composite",
        symbol: keys[k % keys.length],
        interval: "1m",
        rule: "price_spike",
        severity: "warning",
        value: 3.5,
        threshold: 3,
        window_start: T0,
        message: s,
      }));
      await store.writeAlerts(alerts);
      await store.writeAlerts(alerts);
      const letters: DeadLetter[] = [...HOSTILE_STRINGS, "nul\u0000byte"].map((s) => ({
        reason: "malformed_json",
        detail: s,
        raw: s,
        source: "sim",
        ts: T0,
      }));
      await store.writeDeadLetters(letters);
      await store.writeDeadLetters(letters);

      const t = await db.sql.unsafe(`SELECT source, symbol, id FROM "${db.schema}".ticks`);
      assert.deepEqual(t.map((r) => r.symbol).sort(), [...keys].sort());
      for (const r of t) assert.equal(r.source, r.symbol);
      const a = await db.sql.unsafe(`SELECT symbol, message FROM "${db.schema}".alerts`);
      assert.deepEqual(a.map((r) => r.message).sort(), [...HOSTILE_STRINGS].sort());
      const d = await db.sql.unsafe(`SELECT raw FROM "${db.schema}".dead_letters`);
      assert.deepEqual(
        d.map((r) => r.raw).sort(),
        [...HOSTILE_STRINGS, "nul\\u0000byte"].sort(),
      );
    }),
});

Deno.test({
  name: "PostgresStore.deleteTicksBefore() removes only older ticks",
  ignore: !available,
  fn: () =>
    withStore(async (store) => {
      await store.writeTicks(ticks(100));
      assert.equal(await store.deleteTicksBefore(T0 + 50 * 37), 50);
      assert.equal(await store.deleteTicksBefore(T0 + 50 * 37), 0);
    }),
});

Deno.test({
  name: "PostgresStore records pipeline_sink_* metrics per batch",
  ignore: !available,
  fn: async () => {
    const registry = createRegistry();
    await withStore(async (store) => {
      await store.writeTicks(ticks(10));
      await store.writeTicks(ticks(5, 100));
    }, { registry });
    const text = await registry.metrics();
    assert.match(text, /pipeline_sink_rows_written_total\{sink="postgres",table="ticks"\} 15/);
    assert.match(text, /pipeline_sink_batch_size_count\{sink="postgres"\} 2/);
    assert.match(text, /pipeline_sink_write_seconds_count\{sink="postgres"\} 2/);
    assert.match(text, /pipeline_sink_connections\{sink="postgres"\} 0/);
  },
});

Deno.test({
  name: "PostgresStore turns a syntax error into a fatal StoreError",
  ignore: !available,
  fn: async () => {
    const db = createTestSchema("pgbad");
    // A schema that does not exist: the statement can never succeed (SQLSTATE 42P01).
    const store = new PostgresStore({ url: db.url, schema: db.schema });
    try {
      await assert.rejects(
        store.writeTicks(ticks(1)),
        (err: unknown) => isStoreError(err, { retriable: false, kind: "fatal" }),
      );
    } finally {
      await store.close(1);
      await db.drop();
    }
  },
});

Deno.test({
  name: "PostgresStore writes fail retriably while cut off or stalled and succeed after",
  ignore: !available,
  fn: async () => {
    const target = new URL(TEST_DATABASE_URL);
    const proxy = TcpProxy.start({ hostname: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(target);
    viaProxy.port = String(proxy.port);
    try {
      await withStore(async (store, db) => {
        await store.writeTicks(ticks(10));
        proxy.cut();
        await assert.rejects(
          store.writeTicks(ticks(10, 10)),
          (err: unknown) => isStoreError(err, { retriable: true }),
        );
        await assert.rejects(
          store.writeTicks(ticks(10, 10)),
          (err: unknown) => isStoreError(err, { retriable: true }),
        );
        proxy.restore();
        await pollUntil("a write after restore", async () => {
          await store.writeTicks(ticks(10, 10));
          return true;
        });
        proxy.stall();
        await assert.rejects(
          store.writeTicks(ticks(10, 20)),
          (err: unknown) => isStoreError(err, { retriable: true, kind: "timeout" }),
        );
        proxy.restore();
        await pollUntil("a write after the stall", async () => {
          await store.writeTicks(ticks(10, 20));
          return true;
        });
        const [{ n }] = await db.sql.unsafe(`SELECT count(*)::int AS n FROM "${db.schema}".ticks`);
        assert.equal(n, 30);
      }, { url: viaProxy.href, writeTimeoutMs: 1000 });
    } finally {
      await proxy.close();
    }
  },
});

Deno.test({
  name: "PostgresStore.migrate() upgrades a schema from the first release: ticks keep their rows " +
    "and become (source, symbol, id, ts)",
  ignore: !available,
  fn: async () => {
    const db = createTestSchema("pgup");
    const store = new PostgresStore({ url: db.url, schema: db.schema });
    try {
      // The schema as the first release left it (migrations 1 and 2), with a tick in it.
      await applyMigrations(store.sql, db.schema, MIGRATIONS.slice(0, 2));
      await db.sql.unsafe(
        `INSERT INTO "${db.schema}".ticks (source, symbol, id, price, size, ts)
         VALUES ('s', 'BTC-USD', '7', 100, 1, to_timestamp(1700000000))`,
      );
      await store.migrate();
      const again = {
        source: "s",
        symbol: "BTC-USD",
        id: "7",
        price: 101,
        size: 2,
        ts: 1_700_003_660_000,
      };
      await store.writeTicks([again, { ...again }]);
      const rows = await db.sql.unsafe(
        `SELECT id, price FROM "${db.schema}".ticks ORDER BY ts`,
      );
      assert.deepEqual(rows.map((r) => [r.id, r.price]), [["7", 100], ["7", 101]]);
    } finally {
      await store.close(1);
      await db.drop();
    }
  },
});

Deno.test({
  name: "PostgresStore.migrate() upgrades a schema of the release before analytics venues: its " +
    "alerts are the composite's, ids unchanged, and a venue's alerts go beside them",
  ignore: !available,
  fn: async () => {
    const db = createTestSchema("pgvenue");
    const store = new PostgresStore({ url: db.url, schema: db.schema });
    try {
      // The schema as that release left it (migrations 1 to 3), with an alert in it.
      await applyMigrations(store.sql, db.schema, MIGRATIONS.slice(0, 3));
      const id = alertId("composite", "BTC-USD", "1m", "price_spike", T0);
      await db.sql.unsafe(
        `INSERT INTO "${db.schema}".alerts (id, symbol, interval, rule, severity, value,
           threshold, window_start, message)
         VALUES ('${id}', 'BTC-USD', '1m', 'price_spike', 'warning', 5, 4,
           to_timestamp(${T0 / 1000}), 'z 5')`,
      );
      await store.migrate();
      const alert: Alert = {
        id,
        venue: "composite",
        symbol: "BTC-USD",
        interval: "1m",
        rule: "price_spike",
        severity: "warning",
        value: 5,
        threshold: 4,
        window_start: T0,
        message: "raised again",
      };
      const kraken = {
        ...alert,
        id: alertId("kraken", "BTC-USD", "1m", "price_spike", T0),
        venue: "kraken",
      };
      await store.writeAlerts([alert, kraken]);
      const rows = await db.sql.unsafe(
        `SELECT id, venue, message FROM "${db.schema}".alerts ORDER BY venue`,
      );
      assert.deepEqual(rows.map((r) => [r.id, r.venue, r.message]), [
        [id, "composite", "z 5"],
        [kraken.id, "kraken", "raised again"],
      ]);
    } finally {
      await store.close(1);
      await db.drop();
    }
  },
});
