/**
 * A per-run Redis key prefix on the machine's server (env `TEST_REDIS_URL`, default
 * `redis://127.0.0.1:6379`), whose keys are deleted afterwards.
 * @module
 */
import { Redis } from "ioredis";
import { requireService, runId } from "./services.ts";

/** The server the integration tests use. */
export const TEST_REDIS_URL = Deno.env.get("TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";

/** Resolves true when Redis answers PING (false → skip, except under CI where it throws). */
export function redisAvailable(): Promise<boolean> {
  return requireService(`Redis at ${TEST_REDIS_URL}`, async () => {
    const r = new Redis(TEST_REDIS_URL, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2000,
    });
    r.on("error", () => {});
    try {
      await r.connect();
      await r.ping();
    } finally {
      r.disconnect();
    }
  });
}

/** A fresh key prefix and a function deleting every key under it. */
export function createTestPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `test:${runId()}:`;
  return {
    prefix,
    cleanup: async () => {
      const r = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        let cursor = "0";
        do {
          const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
          if (keys.length) await r.del(...keys);
          cursor = next;
        } while (cursor !== "0");
      } finally {
        r.disconnect();
      }
    },
  };
}
