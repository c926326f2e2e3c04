/**
 * The Redis store: the latest price per symbol and the latest closed candle per symbol and
 * interval (hashes with a TTL), and alerts published on a channel and kept in a capped list.
 * Uses ioredis: mature, pipelining, Lua script caching, Cluster and Sentinel support. The latest
 * prices of a batch go in one multi-key script call, so under Redis Cluster the price keys would
 * have to share a slot (single node and Sentinel need nothing).
 * @module
 */
import { type ChainableCommander, Redis } from "ioredis";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import { compositeFields, constituentsText, excludedText } from "../../market/composite_fields.ts";
import type { Tick } from "../../market/tick.ts";
import { type Logger, silentLogger } from "../../logger.ts";
import { SinkMetrics } from "../sink_metrics.ts";
import type { Store } from "../store.ts";
import {
  type RedisStoreConfig,
  type RedisStoreOptions,
  resolveRedisConfig,
} from "./redis_config.ts";
import { toRedisError } from "./redis_errors.ts";
import { type RedisKeys, redisKeys } from "./redis_keys.ts";
import { upgradeRedisLayout } from "./redis_layout.ts";
import { PUBLISH_ALERT, SET_LATEST_CANDLE, SET_LATEST_PRICES } from "./redis_scripts.ts";

type ScriptCall = (...args: (string | number)[]) => ChainableCommander;
type Scripts = {
  setLatestPrices: ScriptCall;
  setLatestCandle: ScriptCall;
  publishAlert: ScriptCall;
};

/**
 * Writes latest values and alerts to Redis, one pipeline per batch. Commands fail fast while
 * disconnected (no offline queue) with a retriable {@linkcode StoreError}; the client reconnects
 * in the background.
 *
 * @example
 * ```ts ignore
 * const store = new RedisStore({ url: "redis://127.0.0.1:6379", keyPrefix: "crypto:" });
 * await store.migrate(); // connects
 * await store.writeTicks(ticks); // crypto:price:BTC-USD ← the newest tick
 * await store.close();
 * ```
 */
export class RedisStore implements Store {
  readonly name = "redis";
  /** Ticks only update the latest price per symbol here. */
  readonly latestValuesOnly = true;
  readonly config: RedisStoreConfig;
  /** The underlying client (for reads and tests). */
  readonly redis: Redis;
  /** The key layout. */
  readonly keys: RedisKeys;
  readonly #metrics: SinkMetrics;
  readonly #log: Logger;

  constructor(options: RedisStoreOptions) {
    this.config = resolveRedisConfig(options);
    this.keys = redisKeys(this.config.keyPrefix);
    this.#metrics = new SinkMetrics(options.registry, "redis");
    this.#log = (options.logger ?? silentLogger).child("redis");
    this.redis = new Redis(this.config.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: this.config.commandTimeoutMs,
      connectTimeout: this.config.connectTimeoutMs,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
      // rediss://: TLS, verified against the CA bundle when one is configured, else the system's.
      ...(this.config.tls
        ? { tls: this.config.caCert === undefined ? {} : { ca: [this.config.caCert] } }
        : {}),
    });
    this.redis.on("error", (err) => this.#log.debug("connection error", { err }));
    this.redis.defineCommand("setLatestPrices", { lua: SET_LATEST_PRICES });
    this.redis.defineCommand("setLatestCandle", { numberOfKeys: 1, lua: SET_LATEST_CANDLE });
    this.redis.defineCommand("publishAlert", { numberOfKeys: 2, lua: PUBLISH_ALERT });
  }

  /**
   * Connects, resolves once the server answers PING, and brings the key layout to version 2
   * (redis_layout.ts): candle hashes of layout 1 become the venue `legacy`'s.
   */
  async migrate(): Promise<void> {
    try {
      if (this.redis.status === "wait") await this.redis.connect();
      await this.redis.ping();
      await upgradeRedisLayout(this.redis, this.config.keyPrefix, this.keys);
    } catch (err) {
      throw toRedisError("connect", err);
    }
  }

  /** Sets each symbol's latest price from the newest tick in the batch (older ones never win). */
  writeTicks(ticks: readonly Tick[]): Promise<void> {
    const latest = new Map<string, Tick>();
    for (const t of ticks) {
      const cur = latest.get(t.symbol);
      if (!cur || t.ts >= cur.ts) latest.set(t.symbol, t);
    }
    return this.#pipeline("price", latest.size, (p, s) => {
      const keys: string[] = [];
      const args: (string | number)[] = [this.config.priceTtlSeconds];
      for (const t of latest.values()) {
        keys.push(this.keys.price(t.symbol));
        const size = t.size === null ? "" : String(t.size);
        args.push(t.ts, 12, "price", String(t.price), "size", size, "ts", String(t.ts));
        args.push("source", t.source, "id", t.id, "side", t.side ?? "");
      }
      s(p).setLatestPrices(keys.length, ...keys, ...args);
    });
  }

  /**
   * Sets each (venue, symbol, interval)'s latest closed candle (a later window or higher version
   * wins).
   */
  writeCandles(candles: readonly Candle[]): Promise<void> {
    return this.#pipeline("candle", candles.length, (p, s) => {
      for (const c of candles) {
        const pairs: string[] = [];
        const { constituents: _c, excluded: _e, ...fields } = c;
        for (const [k, v] of Object.entries(fields)) pairs.push(k, v === null ? "" : String(v));
        const composite = constituentsText(c);
        if (composite !== null) pairs.push("constituents", composite, "excluded", excludedText(c)!);
        s(p).setLatestCandle(
          this.keys.candle(c.venue, c.symbol, c.interval),
          c.window_start,
          c.version,
          this.config.candleTtlSeconds,
          ...pairs,
        );
      }
    });
  }

  /** Lists (capped) and publishes each alert as JSON, once per alert id. */
  writeAlerts(alerts: readonly Alert[]): Promise<void> {
    return this.#pipeline("alerts", alerts.length, (p, s) => {
      for (const a of alerts) {
        s(p).publishAlert(
          this.keys.alertSeen(a.id),
          this.keys.alertList,
          JSON.stringify(a),
          this.config.alertDedupTtlSeconds,
          this.config.alertListLength,
          this.keys.alertChannel,
        );
      }
    });
  }

  /** Reads a symbol's latest price hash back as a Tick (null when absent or expired). */
  async readLatestPrice(symbol: string): Promise<Tick | null> {
    const h = await this.redis.hgetall(this.keys.price(symbol));
    if (!h.ts) return null;
    return {
      source: h.source,
      symbol,
      id: h.id,
      price: Number(h.price),
      size: h.size === "" ? null : Number(h.size),
      ts: Number(h.ts),
      ...(h.side ? { side: h.side as "buy" | "sell" } : {}),
    };
  }

  /** Reads the latest candle of a venue, symbol and interval (null when absent or expired). */
  async readLatestCandle(venue: string, symbol: string, interval: string): Promise<Candle | null> {
    const h = await this.redis.hgetall(this.keys.candle(venue, symbol, interval));
    if (!h.window_start) return null;
    const n = (k: string) => Number(h[k]);
    return {
      venue,
      symbol: h.symbol,
      interval: h.interval,
      window_start: n("window_start"),
      open: n("open"),
      high: n("high"),
      low: n("low"),
      close: n("close"),
      volume: n("volume"),
      vwap: h.vwap === "" ? null : n("vwap"),
      trades: n("trades"),
      first_ts: n("first_ts"),
      last_ts: n("last_ts"),
      version: n("version"),
      ...(h.instrument ? { instrument: h.instrument } : {}),
      ...compositeFields(h.constituents, h.excluded),
    };
  }

  /** Closes the connection (QUIT, then disconnect). */
  async close(): Promise<void> {
    if (this.redis.status === "ready") await this.redis.quit().catch(() => {});
    this.redis.disconnect();
  }

  #pipeline(
    table: string,
    rows: number,
    build: (p: ChainableCommander, scripts: (p: ChainableCommander) => Scripts) => void,
  ): Promise<void> {
    if (rows === 0) return Promise.resolve();
    return this.#metrics.track(table, rows, async () => {
      if (this.redis.status === "wait") await this.redis.connect();
      const pipeline = this.redis.pipeline();
      build(pipeline, (p) => p as unknown as Scripts);
      const results = await pipeline.exec();
      for (const [err] of results ?? []) if (err) throw err;
    }, (err) => toRedisError(`write ${table}`, err));
  }
}
