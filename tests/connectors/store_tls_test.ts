/**
 * Issue #15: the stores over TLS, for real — ClickHouse over HTTPS with a user and password,
 * Redis over `rediss://`, PostgreSQL with `--postgres-ssl verify-full` and a CA file — each behind
 * a TLS terminator (tests/helpers/tls_proxy.ts) whose certificate a test CA made here signed. A
 * store built from the environment through the loader, exactly as the pipeline builds it, must
 * write through the terminator with the CA file, and refuse the terminator without it (the
 * system's CAs do not know the test CA) or one whose certificate an unknown CA signed.
 * @module
 */
import assert from "node:assert/strict";
import {
  clickhouseOptions,
  postgresOptions,
  redisOptions,
} from "../../src/config/connector_options.ts";
import type { PipelineConfig } from "../../src/config/pipeline_config.ts";
import { ClickHouseStore } from "../../src/connectors/clickhouse/clickhouse_store.ts";
import { PostgresStore } from "../../src/connectors/postgres/postgres_store.ts";
import { RedisStore } from "../../src/connectors/redis/redis_store.ts";
import type { Store } from "../../src/connectors/store.ts";
import type { Tick } from "../../src/market/tick.ts";
import { probeClickHouseBinary, startClickHouse } from "../helpers/clickhouse_server.ts";
import { createTestSchema, postgresAvailable } from "../helpers/postgres_db.ts";
import { createTestPrefix, redisAvailable } from "../helpers/redis_prefix.ts";
import { requireService, runId } from "../helpers/services.ts";
import { createTestPki, probeOpenssl, type TestPki } from "../helpers/test_pki.ts";
import { testConfig } from "../helpers/test_pipeline.ts";
import { startTlsProxy, type TlsProxy } from "../helpers/tls_proxy.ts";

const opensslOk = await requireService("openssl", probeOpenssl);
const TICK: Tick = {
  source: "tls",
  symbol: "BTC-USD",
  price: 101.5,
  size: 2,
  ts: Date.UTC(2026, 0, 1),
  id: "1",
};

function configFrom(env: Record<string, string>): PipelineConfig {
  return testConfig(["--sqlite=", "--http=off"], (n) => env[n]);
}

/** The terminator with the test CA's certificate and one with an unknown CA's, to `target`. */
async function terminators(
  pki: TestPki,
  target: { hostname: string; port: number },
  postgres = false,
): Promise<[TlsProxy, TlsProxy]> {
  return [
    await startTlsProxy({ target, cert: pki.serverCert, key: pki.serverKey, postgres }),
    await startTlsProxy({ target, cert: pki.otherServerCert, key: pki.otherServerKey, postgres }),
  ];
}

/** `open()`'s store: migrate must fail (the store is closed either way). */
async function refused(open: () => Store): Promise<Error> {
  const store = open();
  try {
    await store.migrate();
  } catch (e) {
    return e as Error;
  } finally {
    await store.close().catch(() => {});
  }
  assert.fail(`${store.name} accepted a server it should have refused`);
}

Deno.test({
  name: "ClickHouse over HTTPS: user and password from the environment, the CA from a file",
  ignore: !opensslOk ||
    !(await requireService("ClickHouse binary", probeClickHouseBinary)),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const server = await startClickHouse({ users: { pipeline: "s3cret" } });
    const pki = await createTestPki();
    const [good, impostor] = await terminators(pki, {
      hostname: "127.0.0.1",
      port: server.httpPort,
    });
    const passwordFile = `${pki.dir}/clickhouse-password`;
    await Deno.writeTextFile(passwordFile, "s3cret\n");
    const database = `tls_${runId()}`;
    const env = (port: number, more: Record<string, string> = {}) => ({
      CLICKHOUSE_URL: `https://127.0.0.1:${port}`,
      CLICKHOUSE_DATABASE: database,
      CLICKHOUSE_USER: "pipeline",
      CLICKHOUSE_PASSWORD_FILE: passwordFile,
      CLICKHOUSE_CA_FILE: pki.caFile,
      ...more,
    });
    const open = (e: Record<string, string>) =>
      new ClickHouseStore(clickhouseOptions(configFrom(e)));
    try {
      const store = open(env(good.port));
      try {
        await store.migrate();
        const rows = await (await store.client.query({
          // 18.16 has no currentUser(): the running query (this one) names its user.
          query: "SELECT user FROM system.processes",
          format: "JSONEachRow",
        })).json<{ user: string }>();
        assert.deepEqual(rows, [{ user: "pipeline" }], "authenticated as the configured user");
      } finally {
        await store.close();
      }
      const { CLICKHOUSE_CA_FILE: _, ...noCa } = env(good.port);
      assert.match(String(await refused(() => open(noCa))), /certificate|verify/i);
      assert.match(String(await refused(() => open(env(impostor.port)))), /certificate|verify/i);
      const { CLICKHOUSE_PASSWORD_FILE: _p, ...noFile } = env(good.port);
      const wrong = await refused(() => open({ ...noFile, CLICKHOUSE_PASSWORD: "wrong" }));
      assert.match(String(wrong), /password|authenticat/i);
      assert.ok(good.secureConnections >= 1 && good.failedHandshakes >= 1);
    } finally {
      await good.close();
      await impostor.close();
      await pki.remove();
      await server.stop();
    }
  },
});

Deno.test({
  name: "Redis over rediss:// with a CA file writes; an unknown CA is refused",
  ignore: !opensslOk || !(await redisAvailable()),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const pki = await createTestPki();
    const [good, impostor] = await terminators(pki, { hostname: "127.0.0.1", port: 6379 });
    const { prefix, cleanup } = createTestPrefix();
    const env = (url: string, ca = true): Record<string, string> => ({
      REDIS_URL: url,
      REDIS_KEY_PREFIX: prefix,
      ...(ca ? { REDIS_CA_FILE: pki.caFile } : {}),
    });
    const open = (e: Record<string, string>) => new RedisStore(redisOptions(configFrom(e)));
    try {
      const store = open(env(`rediss://127.0.0.1:${good.port}`));
      try {
        await store.migrate();
        await store.writeTicks([TICK]);
        assert.equal(await store.redis.hget(store.keys.price("BTC-USD"), "price"), "101.5");
      } finally {
        await store.close();
      }
      await refused(() => open(env(`rediss://127.0.0.1:${good.port}`, false)));
      await refused(() => open(env(`rediss://127.0.0.1:${impostor.port}`)));
      assert.ok(good.failedHandshakes >= 1, "the terminator saw the refused handshake");
    } finally {
      await cleanup();
      await good.close();
      await impostor.close();
      await pki.remove();
    }
  },
});

Deno.test({
  name: "PostgreSQL with --postgres-ssl verify-full and a CA file writes; without it, refused",
  ignore: !opensslOk || !(await postgresAvailable()),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const pki = await createTestPki();
    const [good, impostor] = await terminators(pki, { hostname: "127.0.0.1", port: 5432 }, true);
    const schema = createTestSchema("tls");
    const base = new URL(schema.url);
    const urlFor = (port: number) =>
      `postgres://${base.username}@127.0.0.1:${port}${base.pathname}`;
    const env = (port: number, ssl: string, ca = true): Record<string, string> => ({
      DATABASE_URL: urlFor(port),
      POSTGRES_SCHEMA: schema.schema,
      POSTGRES_SSL: ssl,
      ...(ca ? { POSTGRES_CA_FILE: pki.caFile } : {}),
    });
    const open = (e: Record<string, string>) =>
      new PostgresStore({ ...postgresOptions(configFrom(e)), connectTimeoutMs: 3000 });
    try {
      const store = open(env(good.port, "verify-full"));
      try {
        await store.migrate();
        await store.writeTicks([TICK]);
      } finally {
        await store.close();
      }
      const [{ n }] = await schema.sql.unsafe(
        `SELECT count(*)::int AS n FROM "${schema.schema}".ticks`,
      );
      assert.equal(n, 1);
      assert.match(
        String(await refused(() => open(env(good.port, "verify-full", false)))),
        /verify|certificate/i,
      );
      assert.match(
        String(await refused(() => open(env(impostor.port, "verify-full")))),
        /verify|certificate/i,
      );
      // `require` encrypts without verifying (libpq's meaning): it accepts the impostor.
      const lax = open(env(impostor.port, "require", false));
      try {
        await lax.migrate();
      } finally {
        await lax.close();
      }
    } finally {
      await good.close();
      await impostor.close();
      await schema.drop();
      await pki.remove();
    }
  },
});
