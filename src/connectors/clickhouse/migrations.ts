/**
 * The versioned ClickHouse schema. Version 1 is the schema before candles had a venue (the
 * tables `schemaSql` created then); version 2 keys candles by venue. ClickHouse cannot change a
 * table's sort key, and 18.16 cannot RENAME these tables (it fails re-reading their stored
 * definition), so version 2 copies the old candles into `candles_before_venue` (kept until an
 * operator drops it), drops `candles`, creates it keyed by venue and copies the old rows back under
 * the venue `legacy`. Applied versions are recorded in `schema_migrations`; every step checks the
 * tables themselves first and the copies land in ReplacingMergeTree tables read with FINAL, so an
 * interrupted upgrade resumes and instances starting together converge (a copy made twice
 * collapses).
 * @module
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { queryRows } from "./queries.ts";
import type { Candle } from "../../market/candle.ts";
import { CANDLES, createTableSql, type TableSpec } from "./schema.ts";
import { sqlIdentifier, sqlValue } from "./sql_escape.ts";

/** The schema version this code writes. */
export const CLICKHOUSE_SCHEMA_VERSION = 2;

/** The table an upgraded database keeps its pre-venue candles in. */
export const CANDLES_BEFORE_VENUE = "candles_before_venue";

const CANDLE_FIELDS = "symbol, `interval`, window_start, open, high, low, close, volume, vwap, " +
  "trades, first_ts, last_ts, version";

/** Brings `database` (created already) to the current version; before the tables are created. */
export async function upgradeClickHouse(client: ClickHouseClient, database: string): Promise<void> {
  const db = sqlIdentifier(database);
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, ` +
      "name String, applied_at DateTime('UTC')) ENGINE = ReplacingMergeTree() ORDER BY version",
  });
  const applied = new Set(
    (await queryRows(client, `SELECT DISTINCT version FROM ${db}.schema_migrations`)).map((r) =>
      Number(r.version)
    ),
  );
  if (!applied.has(2)) await candlesByVenue(client, database);
  for (const [version, name] of [[1, "initial tables"], [2, "candles keyed by venue"]] as const) {
    if (applied.has(version)) continue;
    await client.command({
      query: `INSERT INTO ${db}.schema_migrations (version, name, applied_at) VALUES ` +
        `(${sqlValue(version)}, ${sqlValue(name)}, now())`,
    });
  }
}

// Version 1 → 2: the candles so far kept apart, and under the venue `legacy` in the new table.
async function candlesByVenue(client: ClickHouseClient, database: string): Promise<void> {
  const db = sqlIdentifier(database);
  const before = `${db}.${CANDLES_BEFORE_VENUE}`;
  if (await hasTable(client, database, "candles") && !(await hasVenue(client, database))) {
    await client.command({ query: createTableSql(database, BEFORE_VENUE) });
    if (await count(client, `${before}`) === 0) {
      await client.command({
        query:
          `INSERT INTO ${before} (${CANDLE_FIELDS}) SELECT ${CANDLE_FIELDS} FROM ${db}.candles`,
      });
    }
    await client.command({ query: `DROP TABLE IF EXISTS ${db}.candles` });
  }
  if (!(await hasTable(client, database, CANDLES_BEFORE_VENUE))) return;
  await client.command({ query: createTableSql(database, CANDLES) });
  if (await count(client, `${db}.candles WHERE venue = 'legacy'`) > 0) return;
  await client.command({
    query: `INSERT INTO ${db}.candles (venue, ${CANDLE_FIELDS}) ` +
      `SELECT 'legacy', ${CANDLE_FIELDS} FROM ${before} FINAL`,
  });
}

/** The candles table of schema version 1, as the old rows are kept. */
const BEFORE_VENUE: TableSpec<Candle> = {
  name: CANDLES_BEFORE_VENUE,
  columns: CANDLES.columns.filter((c) =>
    !["venue", "instrument", "constituents", "excluded"].includes(c.name)
  ),
  engine: "ReplacingMergeTree(version) PARTITION BY toYYYYMM(window_start) " +
    "ORDER BY (symbol, `interval`, window_start)",
};

async function count(client: ClickHouseClient, from: string): Promise<number> {
  return Number((await queryRows(client, `SELECT count() AS n FROM ${from}`))[0]?.n);
}

async function hasTable(client: ClickHouseClient, database: string, table: string) {
  const rows = await queryRows(
    client,
    `SELECT count() AS n FROM system.tables WHERE database = ${sqlValue(database)} ` +
      `AND name = ${sqlValue(table)}`,
  );
  return Number(rows[0]?.n) > 0;
}

async function hasVenue(client: ClickHouseClient, database: string) {
  const rows = await queryRows(
    client,
    `SELECT count() AS n FROM system.columns WHERE database = ${sqlValue(database)} ` +
      "AND table = 'candles' AND name = 'venue'",
  );
  return Number(rows[0]?.n) > 0;
}
