/**
 * The Redis key layout's version, and the upgrade from layout 1 (candle hashes keyed
 * `candle:<symbol>:<interval>`, mixing every venue) to layout 2 (`candle:<venue>:<symbol>:
 * <interval>`): each layout-1 hash is renamed to the venue `legacy`'s key, keeping its TTL, so a
 * reader still finds it (docs/storage.md). Idempotent: instances starting together may both run it.
 * @module
 */
import type { Redis } from "ioredis";
import { LEGACY_VENUE } from "../../market/candle.ts";
import type { RedisKeys } from "./redis_keys.ts";

/** The layout this code writes. */
export const REDIS_LAYOUT = "2";

/** Upgrades the keys under `prefix` to {@linkcode REDIS_LAYOUT} when they are older. */
export async function upgradeRedisLayout(
  redis: Redis,
  prefix: string,
  keys: RedisKeys,
): Promise<void> {
  if ((await redis.get(keys.layout)) === REDIS_LAYOUT) return;
  const head = `${prefix}candle:`;
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `${globEscape(head)}*`, "COUNT", 1000);
    cursor = next;
    for (const key of found) {
      const rest = key.slice(head.length).split(":");
      // Layout 1 has two parts after `candle:`; layout 2 has three.
      if (rest.length !== 2) continue;
      // RENAME keeps the TTL; a concurrent upgrader may have moved it already (then it fails).
      await redis.rename(key, keys.candle(LEGACY_VENUE, rest[0], rest[1])).catch(() => {});
    }
  } while (cursor !== "0");
  await redis.set(keys.layout, REDIS_LAYOUT);
}

function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
