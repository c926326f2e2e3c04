/**
 * The versioned ClickHouse schema. Version 1 is the schema before candles had a venue (the
 * tables `schemaSql` created then); version 2 keys candles by venue; version 3 adds predictions;
 * version 4 keys indicators and alerts by venue; version 5 adds the `prediction_outcomes` view.
 * ClickHouse cannot change a table's sort key, and 18.16 cannot RENAME these tables (it fails
 * re-reading their stored definition), so versions 2 and 4 copy the old rows into
 * `<table>_before_venue` (kept until an operator drops it), drop the table, create it keyed by
 * venue and copy the old rows back under a venue: `legacy` for candles (they mixed every feed),
 * `composite` for indicators and alerts (they were computed on the one analytics venue, the
 * composite by default; alert ids keep their form for it). Applied versions are recorded in
 * `schema_migrations`; every step checks the tables themselves first and the copies land in
 * ReplacingMergeTree tables read with FINAL, so an interrupted upgrade resumes and instances
 * starting together converge (a copy made twice collapses).
 * @module
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { queryRows } from "./queries.ts";
import { COMPOSITE_VENUE, LEGACY_VENUE } from "../../market/candle.ts";
import { ALERTS, CANDLES, createTableSql, INDICATORS, type TableSpec } from "./schema.ts";
import { sqlIdentifier, sqlValue } from "./sql_escape.ts";

/** The schema version this code writes. */
export const CLICKHOUSE_SCHEMA_VERSION = 5;

/** The table an upgraded database keeps its pre-venue candles in. */
export const CANDLES_BEFORE_VENUE = "candles_before_venue";

/** How one table moves to its venue-keyed form. */
interface VenueUpgrade {
  /** The venue-keyed table. */
  readonly spec: TableSpec<never>;
  /** The table before: its columns (the new ones but venue and later additions) and engine. */
  readonly before: TableSpec<never>;
  /** The venue the old rows are filed under. */
  readonly venue: string;
}

const CANDLES_UPGRADE: VenueUpgrade = {
  spec: CANDLES as TableSpec<never>,
  before: {
    name: CANDLES_BEFORE_VENUE,
    columns: CANDLES.columns.filter((c) =>
      !["venue", "instrument", "constituents", "excluded"].includes(c.name)
    ) as TableSpec<never>["columns"],
    engine: "ReplacingMergeTree(version) PARTITION BY toYYYYMM(window_start) " +
      "ORDER BY (symbol, `interval`, window_start)",
  },
  venue: LEGACY_VENUE,
};

const INDICATORS_UPGRADE: VenueUpgrade = {
  spec: INDICATORS as TableSpec<never>,
  before: {
    name: "indicators_before_venue",
    columns: INDICATORS.columns.filter((c) => c.name !== "venue") as TableSpec<never>["columns"],
    engine: "ReplacingMergeTree(version) PARTITION BY toYYYYMM(window_start) " +
      "ORDER BY (symbol, `interval`, window_start)",
  },
  venue: COMPOSITE_VENUE,
};

const ALERTS_UPGRADE: VenueUpgrade = {
  spec: ALERTS as TableSpec<never>,
  before: {
    name: "alerts_before_venue",
    columns: ALERTS.columns.filter((c) => c.name !== "venue") as TableSpec<never>["columns"],
    engine: "ReplacingMergeTree() PARTITION BY toYYYYMM(window_start) " +
      "ORDER BY (symbol, window_start, id)",
  },
  venue: COMPOSITE_VENUE,
};

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
  if (!applied.has(2)) await byVenue(client, database, CANDLES_UPGRADE);
  // Versions 3 and 5 add the `predictions` table and the `prediction_outcomes` view over it and
  // the candles, created with the others (schema.ts): nothing to copy.
  if (!applied.has(4)) {
    await byVenue(client, database, INDICATORS_UPGRADE);
    await byVenue(client, database, ALERTS_UPGRADE);
  }
  const steps = [
    [1, "initial tables"],
    [2, "candles keyed by venue"],
    [3, "predictions"],
    [4, "indicators and alerts keyed by venue"],
    [5, "prediction_outcomes view"],
  ] as const;
  for (const [version, name] of steps) {
    if (applied.has(version)) continue;
    await client.command({
      query: `INSERT INTO ${db}.schema_migrations (version, name, applied_at) VALUES ` +
        `(${sqlValue(version)}, ${sqlValue(name)}, now())`,
    });
  }
}

// A table without venue: its rows kept apart, and under `u.venue` in the venue-keyed table.
async function byVenue(client: ClickHouseClient, database: string, u: VenueUpgrade) {
  const db = sqlIdentifier(database);
  const table = `${db}.${sqlIdentifier(u.spec.name)}`;
  const before = `${db}.${sqlIdentifier(u.before.name)}`;
  const fields = u.before.columns.map((c) => sqlIdentifier(c.name)).join(", ");
  if (
    await hasTable(client, database, u.spec.name) &&
    !(await hasVenue(client, database, u.spec.name))
  ) {
    await client.command({ query: createTableSql(database, u.before) });
    if (await count(client, before) === 0) {
      await client.command({
        query: `INSERT INTO ${before} (${fields}) SELECT ${fields} FROM ${table}`,
      });
    }
    await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
  }
  if (!(await hasTable(client, database, u.before.name))) return;
  await client.command({ query: createTableSql(database, u.spec) });
  if (await count(client, `${table} WHERE venue = ${sqlValue(u.venue)}`) > 0) return;
  await client.command({
    query: `INSERT INTO ${table} (venue, ${fields}) ` +
      `SELECT ${sqlValue(u.venue)}, ${fields} FROM ${before} FINAL`,
  });
}

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

async function hasVenue(client: ClickHouseClient, database: string, table: string) {
  const rows = await queryRows(
    client,
    `SELECT count() AS n FROM system.columns WHERE database = ${sqlValue(database)} ` +
      `AND table = ${sqlValue(table)} AND name = 'venue'`,
  );
  return Number(rows[0]?.n) > 0;
}
