/**
 * Opens the stores the config names (SQLite, PostgreSQL, ClickHouse, Redis, the alert webhook) and
 * applies their migrations; closes what it opened if any of them fails.
 * @module
 */
import { storeAccepts } from "../../actors/sinks/store_sink.ts";
import {
  clickhouseOptions,
  postgresOptions,
  redisOptions,
  webhookOptions,
} from "../config/connector_options.ts";
import {
  type PipelineConfig,
  usesSqliteThread,
  usesSqliteTickThread,
} from "../config/pipeline_config.ts";
import { ClickHouseStore } from "../connectors/clickhouse/clickhouse_store.ts";
import { PostgresStore } from "../connectors/postgres/postgres_store.ts";
import { RedisStore } from "../connectors/redis/redis_store.ts";
import { SqliteStore } from "../connectors/sqlite/sqlite_store.ts";
import type { Store } from "../connectors/store.ts";
import { WebhookClient } from "../connectors/webhook/webhook_client.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { DeadLetter } from "../market/dead_letter.ts";
import type { Registry } from "../telemetry/metrics.ts";

/** Opens and migrates every configured store, then `extra` ones (tests inject those). */
export async function openStores(
  config: PipelineConfig,
  deps: { clock?: Clock; extraStores?: readonly Store[] },
  registry: Registry,
  log: Logger,
  deadLetter: (letter: DeadLetter) => void,
): Promise<Store[]> {
  const stores: Store[] = [];
  const s = config.storage;
  try {
    if (s.sqlitePath) {
      stores.push(
        new SqliteStore({
          path: s.sqlitePath,
          registry,
          tickThread: usesSqliteTickThread(config),
          checkpointThread: usesSqliteThread(config),
          logger: log.child("sqlite"),
        }),
      );
    }
    if (s.databaseUrl) {
      stores.push(
        new PostgresStore({ ...postgresOptions(config), registry, logger: log.child("postgres") }),
      );
    }
    if (s.clickhouseUrl) {
      stores.push(
        new ClickHouseStore({
          ...clickhouseOptions(config),
          registry,
          logger: log.child("clickhouse"),
        }),
      );
    }
    if (s.redisUrl) {
      stores.push(
        new RedisStore({ ...redisOptions(config), registry, logger: log.child("redis") }),
      );
    }
    if (config.alertWebhookUrl) {
      const hook = new WebhookClient({
        ...webhookOptions(config),
        registry,
        logger: log.child("webhook"),
        clock: deps.clock,
        onDeadLetter: deadLetter,
      });
      stores.push({
        name: hook.name,
        migrate: () => Promise.resolve(),
        writeAlerts: (alerts) => hook.writeAlerts(alerts),
        close: () => hook.close(),
      });
    }
    stores.push(...(deps.extraStores ?? []));
    for (const store of stores) {
      await store.migrate();
      log.info("store ready", { store: store.name });
    }
    return stores;
  } catch (e) {
    for (const store of stores) await store.close().catch(() => {});
    throw e;
  }
}

/** Whether `store` keeps raw ticks: raw-tick tables with `--store-ticks` (Redis never). */
export function takesRawTicks(store: Store, storeTicks: boolean): boolean {
  return storeTicks && storeAccepts(store, "ticks") && !keepsLatestPrices(store);
}

/** Whether `store` is a latest-value store fed from ticks (Redis: newest price per symbol). */
export function keepsLatestPrices(store: Store): boolean {
  return store.latestValuesOnly === true;
}
