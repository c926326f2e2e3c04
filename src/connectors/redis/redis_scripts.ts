/**
 * Lua scripts that make the Redis writes idempotent and order-safe: a replayed or late record
 * never overwrites a newer one, and an alert is listed and published once.
 * @module
 */

/**
 * KEYS: one price hash per symbol of the batch; ARGV[1] ttl, then per key: its tick's ts, the
 * number of field/value arguments, those arguments (including ts). Each key is written unless it
 * holds a newer tick. One call per batch: a call per symbol costs a third of the throughput.
 */
export const SET_LATEST_PRICES = `
local ttl = ARGV[1]
local n = 2
local written = 0
for _, key in ipairs(KEYS) do
  local ts, count = tonumber(ARGV[n]), tonumber(ARGV[n + 1])
  local cur = redis.call('HGET', key, 'ts')
  if not cur or tonumber(cur) <= ts then
    redis.call('HSET', key, unpack(ARGV, n + 2, n + 1 + count))
    redis.call('EXPIRE', key, ttl)
    written = written + 1
  end
  n = n + 2 + count
end
return written`;

/**
 * KEYS[1] candle hash; ARGV[1] window_start, ARGV[2] version, ARGV[3] ttl, ARGV[4..] pairs.
 * Writes when the candle is of a later window, or the same window with a version ≥ the stored.
 */
export const SET_LATEST_CANDLE = `
local cur = redis.call('HMGET', KEYS[1], 'window_start', 'version')
if cur[1] then
  local ws, v = tonumber(cur[1]), tonumber(cur[2])
  local nws, nv = tonumber(ARGV[1]), tonumber(ARGV[2])
  if ws > nws or (ws == nws and v > nv) then return 0 end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

/**
 * KEYS[1] seen marker, KEYS[2] list; ARGV[1] alert JSON, ARGV[2] dedup ttl, ARGV[3] list length,
 * ARGV[4] channel. Lists and publishes an alert id once.
 */
export const PUBLISH_ALERT = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 1`;
