/**
 * Storage throughput: sustained batched inserts through each store vs the bare client doing the
 * same batched inserts, in the same run (ratios, not absolute numbers, are comparable on these
 * noisy VMs). Starts its own ClickHouse; uses the machine's PostgreSQL and Redis.
 *
 * `deno run -A --v8-flags=--expose-gc bench/storage_bench.ts`
 * @module
 */
import { createClient } from "@clickhouse/client";
import { Redis } from "ioredis";
import postgres from "postgres";
import { ClickHouseStore } from "../src/connectors/clickhouse/clickhouse_store.ts";
import { PostgresStore } from "../src/connectors/postgres/postgres_store.ts";
import { RedisStore } from "../src/connectors/redis/redis_store.ts";
import type { Candle } from "../src/market/candle.ts";
import type { Tick } from "../src/market/tick.ts";
import { createRegistry } from "../src/telemetry/metrics.ts";
import { startClickHouse } from "../tests/helpers/clickhouse_server.ts";
import { createTestPrefix, TEST_REDIS_URL } from "../tests/helpers/redis_prefix.ts";
import { createTestSchema } from "../tests/helpers/postgres_db.ts";
import { runId } from "../tests/helpers/services.ts";
import { report, round } from "./measure.ts";

const BATCH = 5000;
const T0 = Date.UTC(2026, 0, 1);
const SYMBOLS = Array.from({ length: 50 }, (_, k) => `SYM${k}-USD`);
let nextId = 0;

function ticks(n: number): Tick[] {
  return Array.from({ length: n }, () => {
    const i = nextId++;
    return {
      source: "bench",
      symbol: SYMBOLS[i % SYMBOLS.length],
      id: String(i),
      price: 100 + (i % 997) / 7,
      size: 0.001 * (i % 13),
      ts: T0 + i,
      side: i % 2 ? "buy" : "sell",
    };
  });
}

function candles(n: number): Candle[] {
  return Array.from({ length: n }, (_, k) => {
    const i = nextId++;
    return {
      venue: "coinbase",
      symbol: SYMBOLS[i % SYMBOLS.length],
      interval: "1m",
      window_start: T0 + Math.floor(i / SYMBOLS.length) * 60_000,
      open: 100 + k / 3,
      high: 101 + k / 3,
      low: 99 + k / 3,
      close: 100.5 + k / 3,
      volume: k * 0.1,
      vwap: 100.2 + k / 3,
      trades: k % 100,
      first_ts: T0 + i,
      last_ts: T0 + i + 59_000,
      version: 1,
    };
  });
}

/** Pre-generated batches so generation is not measured. */
function batches<T>(make: (n: number) => T[], rows: number): T[][] {
  return Array.from({ length: rows / BATCH }, () => make(BATCH));
}

async function compare<T>(
  name: string,
  baselineName: string,
  make: (n: number) => T[],
  rows: number,
  store: (batch: T[]) => Promise<unknown>,
  bare: (batch: T[]) => Promise<unknown>,
): Promise<void> {
  const run = (write: (b: T[]) => Promise<unknown>) => async () => {
    const data = batches(make, rows); // fresh ids each run: real inserts, not conflicts
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    for (const b of data) await write(b);
    return rows / ((performance.now() - t0) / 1000);
  };
  // measure.ts's bestThroughput would time the batch generation too; time the writes only,
  // best of 5 after a warm-up, the same policy.
  const best = async (fn: () => Promise<number>) => {
    await fn();
    let top = 0;
    for (let i = 0; i < 5; i++) top = Math.max(top, await fn());
    return top;
  };
  const baseline = await best(run(bare));
  const ours = await best(run(store));
  report({ bench: baselineName, rows_per_s: Math.round(baseline), batch: BATCH });
  report({
    bench: name,
    rows_per_s: Math.round(ours),
    baseline: baselineName,
    ratio: round(ours / baseline),
    batch: BATCH,
  });
}

async function benchPostgres(): Promise<void> {
  const db = createTestSchema("bench");
  const store = new PostgresStore({ url: db.url, schema: db.schema, registry: createRegistry() });
  const bare = postgres(db.url, { max: 4, onnotice: () => {} });
  try {
    await store.migrate();
    const table = `"${db.schema}".ticks`;
    await compare(
      "postgres_store_ticks",
      "postgres_bare",
      ticks,
      50_000,
      (b) => store.writeTicks(b),
      (b) => {
        const rows = b.map((t) => ({ ...t, ts: new Date(t.ts), side: t.side ?? null }));
        return bare`INSERT INTO ${bare.unsafe(table)} ${
          bare(rows, "source", "symbol", "id", "price", "size", "ts", "side")
        } ON CONFLICT DO NOTHING`;
      },
    );
  } finally {
    await bare.end({ timeout: 1 });
    await store.close(1);
    await db.drop();
  }
}

async function benchClickHouse(): Promise<void> {
  const server = await startClickHouse();
  const database = `bench_${runId()}`;
  const store = new ClickHouseStore({ url: server.url, database, registry: createRegistry() });
  const bare = createClient({ url: server.url });
  try {
    await store.migrate();
    await compare(
      "clickhouse_store_candles",
      "clickhouse_bare_jsoneachrow",
      candles,
      100_000,
      (b) => store.writeCandles(b),
      (b) =>
        bare.insert({
          table: `${database}.candles`,
          format: "JSONEachRow",
          values: b.map((c) => ({ ...c, window_start: c.window_start / 1000 })),
        }),
    );
  } finally {
    await bare.close();
    await store.close();
    await server.stop();
  }
}

async function benchRedis(): Promise<void> {
  const { prefix, cleanup } = createTestPrefix();
  const store = new RedisStore({
    url: TEST_REDIS_URL,
    keyPrefix: prefix,
    registry: createRegistry(),
  });
  const bare = new Redis(TEST_REDIS_URL);
  try {
    await store.migrate();
    await compare(
      "redis_store_ticks",
      "redis_bare_pipeline",
      ticks,
      100_000,
      (b) => store.writeTicks(b),
      (b) => {
        const latest = new Map<string, Tick>();
        for (const t of b) latest.set(t.symbol, t);
        const p = bare.pipeline();
        for (const t of latest.values()) {
          const key = `${prefix}bare:${t.symbol}`;
          p.hset(key, "price", String(t.price), "size", String(t.size), "ts", String(t.ts));
          p.expire(key, 3600);
        }
        return p.exec();
      },
    );
  } finally {
    bare.disconnect();
    await store.close();
    await cleanup();
  }
}

const BENCHES = { postgres: benchPostgres, clickhouse: benchClickHouse, redis: benchRedis };
const only = Deno.args; // e.g. `… storage_bench.ts redis`
for (const [name, fn] of Object.entries(BENCHES)) {
  if (only.length && !only.includes(name)) continue;
  try {
    await fn();
  } catch (err) {
    report({ bench: `${name}_storage`, error: err instanceof Error ? err.message : String(err) });
    Deno.exitCode = 1;
  }
}
