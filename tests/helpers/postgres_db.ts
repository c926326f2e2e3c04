/**
 * A per-run PostgreSQL schema on the machine's server (env `TEST_DATABASE_URL`, default
 * `postgres://root@127.0.0.1:5432/test`), dropped afterwards, so test runs never collide.
 * @module
 */
import postgres, { type Sql } from "postgres";
import { requireService, runId } from "./services.ts";

/** The server the integration tests use. */
export const TEST_DATABASE_URL = Deno.env.get("TEST_DATABASE_URL") ??
  "postgres://root@127.0.0.1:5432/test";

/** A test schema and a bare client on it. */
export interface TestSchema {
  readonly url: string;
  readonly schema: string;
  /** A bare postgres.js client for assertions. */
  readonly sql: Sql;
  /** Drops the schema and closes the client. */
  drop(): Promise<void>;
}

/** Resolves true when PostgreSQL answers (false → skip, except under CI where it throws). */
export function postgresAvailable(): Promise<boolean> {
  return requireService(`PostgreSQL at ${TEST_DATABASE_URL}`, async () => {
    const sql = postgres(TEST_DATABASE_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
    try {
      await sql`SELECT 1`;
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
}

/** A fresh schema name (not created: `migrate()` creates it). */
export function createTestSchema(prefix = "t"): TestSchema {
  const schema = `${prefix}_${runId()}`;
  const sql = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => {} });
  return {
    url: TEST_DATABASE_URL,
    schema,
    sql,
    drop: async () => {
      try {
        await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await sql.end({ timeout: 2 });
      }
    },
  };
}
