/**
 * The versioned PostgreSQL schema. Append a migration to change it; never edit an applied one.
 * `applyMigrations` runs every pending one in a single transaction under a transaction-scoped
 * advisory lock, so instances starting together apply each migration exactly once.
 * @module
 */
import type { Sql } from "postgres";

/** One schema change. `sql` receives the quoted schema name. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: (schema: string) => string;
}

/** Every migration, in version order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "ticks, alerts, dead letters",
    sql: (s) => `
      CREATE TABLE ${s}.ticks (
        source text NOT NULL,
        symbol text NOT NULL,
        id text NOT NULL,
        price double precision NOT NULL,
        size double precision,
        ts timestamptz NOT NULL,
        side text CHECK (side IN ('buy', 'sell')),
        PRIMARY KEY (source, symbol, id)
      );
      CREATE INDEX ticks_symbol_ts_idx ON ${s}.ticks (symbol, ts);
      CREATE INDEX ticks_ts_brin ON ${s}.ticks USING brin (ts);
      CREATE TABLE ${s}.alerts (
        id text PRIMARY KEY,
        symbol text NOT NULL,
        interval text NOT NULL,
        rule text NOT NULL,
        severity text NOT NULL,
        value double precision NOT NULL,
        threshold double precision NOT NULL,
        window_start timestamptz NOT NULL,
        message text NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX alerts_symbol_window_idx ON ${s}.alerts (symbol, window_start);
      CREATE TABLE ${s}.dead_letters (
        seq bigserial PRIMARY KEY,
        reason text NOT NULL,
        detail text NOT NULL,
        raw text NOT NULL,
        source text NOT NULL,
        ts timestamptz NOT NULL,
        raw_md5 text NOT NULL,
        UNIQUE (source, reason, ts, raw_md5)
      );
      CREATE INDEX dead_letters_ts_idx ON ${s}.dead_letters (ts);`,
  },
  {
    // A dead letter's ts is processing time, so keying on it let every replay of the same input
    // add its dead letters again; SQLite's key never had ts.
    version: 2,
    name: "dead letters keyed by (source, reason, raw) like SQLite",
    sql: (s) => `
      DELETE FROM ${s}.dead_letters a USING ${s}.dead_letters b
        WHERE a.source = b.source AND a.reason = b.reason AND a.raw_md5 = b.raw_md5
          AND a.raw = b.raw AND a.seq > b.seq;
      ALTER TABLE ${s}.dead_letters
        DROP CONSTRAINT IF EXISTS dead_letters_source_reason_ts_raw_md5_key;
      ALTER TABLE ${s}.dead_letters
        ADD CONSTRAINT dead_letters_source_reason_raw_md5_key UNIQUE (source, reason, raw_md5);`,
  },
  {
    // One rule for duplicates with the candles and ClickHouse (docs/analytics.md): a tick is
    // (source, symbol, id, ts), so an id a feed reuses at another time is another tick. Rebuilds
    // the primary key's index once: on a large table, plan the upgrade.
    version: 3,
    name: "ticks keyed by (source, symbol, id, ts)",
    sql: (s) => `
      ALTER TABLE ${s}.ticks DROP CONSTRAINT IF EXISTS ticks_pkey;
      ALTER TABLE ${s}.ticks ADD CONSTRAINT ticks_pkey PRIMARY KEY (source, symbol, id, ts);`,
  },
  {
    // Alerts per analytics venue (`--analytics-venue` may name several). Alerts stored before
    // were raised on the one analytics venue, the composite by default, and their ids keep their
    // form for it (src/market/anomaly/alert_id.ts). A column with a constant default is added
    // without rewriting the table (PostgreSQL 11+).
    version: 4,
    name: "alerts carry their venue",
    sql: (s) => `
      ALTER TABLE ${s}.alerts ADD COLUMN venue text NOT NULL DEFAULT 'composite';
      CREATE INDEX alerts_venue_symbol_window_idx ON ${s}.alerts (venue, symbol, window_start);`,
  },
];

/** A stable 32-bit lock key per schema, so different schemas migrate independently. */
const LOCK_KEY = "crypto-pipeline:migrations:";

/**
 * Applies pending migrations to `schema` (an already validated identifier); returns the versions
 * applied by this call (empty when another instance already did the work).
 */
export async function applyMigrations(
  sql: Sql,
  schema: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  const q = `"${schema}"`;
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext(${LOCK_KEY + schema}))`;
    await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS ${q}`);
    await tx.unsafe(`CREATE TABLE IF NOT EXISTS ${q}.schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const rows = await tx.unsafe<{ version: number }[]>(
      `SELECT version FROM ${q}.schema_migrations`,
    );
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await tx.unsafe(m.sql(q));
      await tx.unsafe(`INSERT INTO ${q}.schema_migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}
