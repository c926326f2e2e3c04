/**
 * The Redis key layout, in one place (documented in docs/storage.md). Alert keys share the hash
 * tag `{alerts}` so the de-duplicating script touches one cluster slot.
 * @module
 */

/** Key names under a prefix. */
export interface RedisKeys {
  /** Hash of the latest tick of `symbol`: price, size, ts, source, id, side. */
  price(symbol: string): string;
  /**
   * Hash of the latest closed candle of `venue` (a feed, `composite`, or `legacy` for one kept
   * from before key layout 2), `symbol` and `interval`: the Candle fields.
   */
  candle(venue: string, symbol: string, interval: string): string;
  /** The key layout version (a string): absent before layout 2, when candles had no venue. */
  readonly layout: string;
  /** Marker that alert `id` was already published. */
  alertSeen(id: string): string;
  /** Capped list of recent alerts as JSON, newest first. */
  readonly alertList: string;
  /** Pub/sub channel carrying each new alert as JSON. */
  readonly alertChannel: string;
}

/** The keys under `prefix`. */
export function redisKeys(prefix: string): RedisKeys {
  return {
    price: (symbol) => `${prefix}price:${symbol}`,
    candle: (venue, symbol, interval) => `${prefix}candle:${venue}:${symbol}:${interval}`,
    layout: `${prefix}layout`,
    alertSeen: (id) => `${prefix}{alerts}:seen:${id}`,
    alertList: `${prefix}{alerts}:recent`,
    alertChannel: `${prefix}alerts`,
  };
}
