/**
 * The versioned ClickHouse schema. Version 1 is the schema before candles had a venue (the
 * tables `schemaSql` created then); version 2 keys candles by venue. ClickHouse cannot change a
 * table's sort key on 18.16, so version 2 builds the new table, copies the old rows into it under
 * the venue `legacy` and swaps the names in one RENAME; the old table stays as
 * `candles_before_venue` until an operator drops it. Applied versions are recorded in
 * `schema_migrations`; each step also checks the tables themselves, so instances starting
 * together (no locks in ClickHouse) converge instead of failing.
 * @module
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { queryRows } from "./queries.ts";
import { CANDLES, createTableSql } from "./schema.ts";
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
      "name String, applied_at DateTime('UTC')) ENGINE = MergeTree() ORDER BY version",
  });
  if (await hasTable(client, database, "candles") && !(await hasVenue(client, database))) {
    await moveCandlesToVenueTable(client, database);
  }
  const applied = new Set(
    (await queryRows(client, `SELECT version FROM ${db}.schema_migrations`)).map((r) =>
      Number(r.version)
    ),
  );
  for (const [version, name] of [[1, "initial tables"], [2, "candles keyed by venue"]] as const) {
    if (applied.has(version)) continue;
    await client.command({
      query: `INSERT INTO ${db}.schema_migrations (version, name, applied_at) VALUES ` +
        `(${sqlValue(version)}, ${sqlValue(name)}, now())`,
    });
  }
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

// Version 1 → 2: the candles so far, under the venue `legacy`, in a table keyed by venue.
async function moveCandlesToVenueTable(client: ClickHouseClient, database: string) {
  const db = sqlIdentifier(database);
  const next = "candles_venue_upgrade";
  await client.command({ query: `DROP TABLE IF EXISTS ${db}.${next}` });
  await client.command({ query: createTableSql(database, { ...CANDLES, name: next }) });
  await client.command({
    query: `INSERT INTO ${db}.${next} (venue, ${CANDLE_FIELDS}) ` +
      `SELECT 'legacy', ${CANDLE_FIELDS} FROM ${db}.candles`,
  });
  await client.command({
    query: `RENAME TABLE ${db}.candles TO ${db}.${CANDLES_BEFORE_VENUE}, ` +
      `${db}.${next} TO ${db}.candles`,
  });
}
