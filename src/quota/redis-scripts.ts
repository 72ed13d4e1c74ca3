/**
 * Lua scripts of the Redis quota store. Each runs atomically in Redis, so a
 * decision over several limits is exact across every replica sharing the
 * server; time is Redis's own clock (TIME), so replicas with skewed clocks
 * still agree. The bucket arithmetic mirrors token-bucket.ts.
 *
 * Data: a token bucket is a hash {l = level, at = ms} that expires once it
 * would be full again (an absent bucket is full); a slot set is a sorted set
 * of lease ids scored by their expiry time.
 *
 * Levels are written with tostring (a double with 14 significant digits) and
 * numbers are returned as strings: Redis truncates Lua numbers to integers.
 */
import { SLOT_RETRY_MS } from "./types.js";

const HELPERS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function level(key, cap, rate, now)
  local v = redis.call('HMGET', key, 'l', 'at')
  if not v[1] then return cap end
  local elapsed = now - tonumber(v[2])
  if elapsed < 0 then elapsed = 0 end
  local l = tonumber(v[1]) + elapsed * rate
  if l > cap then l = cap end
  return l
end
local function put(key, l, cap, rate, now)
  if l >= cap then
    redis.call('DEL', key)
    return
  end
  redis.call('HSET', key, 'l', tostring(l), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil((cap - l) / rate) + 1000)
end
local function wait_ms(l, wanted, rate)
  if l >= wanted then return 0 end
  return math.ceil((wanted - l) / rate - 1e-6)
end
`;

/**
 * KEYS: request buckets, then slot sets, then token buckets.
 * ARGV: #requests, #slots, #tokens, tokens, lease id, lease ttl ms, then
 * capacity and refill per request bucket, capacity per slot set, capacity
 * and refill per token bucket.
 * Returns {1} when admitted, else {0, index of the refusing key (1-based), retry ms as a string}.
 */
export const ADMIT_SCRIPT = `${HELPERS}
local nr, ns, nt = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, lease, ttl = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local now = now_ms()
local a = 7
local levels = {}
for i = 1, nr do
  local cap, rate = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  a = a + 2
  local l = level(KEYS[i], cap, rate, now)
  if l < 1 then return {0, i, tostring(wait_ms(l, 1, rate))} end
  levels[i] = {l, cap, rate}
end
for j = 1, ns do
  local key, cap = KEYS[nr + j], tonumber(ARGV[a])
  a = a + 1
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= cap then return {0, nr + j, tostring(${SLOT_RETRY_MS})} end
end
for m = 1, nt do
  local i = nr + ns + m
  local cap, rate = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  a = a + 2
  local l = level(KEYS[i], cap, rate, now)
  local required = math.min(tokens, cap)
  if l < required then return {0, i, tostring(wait_ms(l, required, rate))} end
  levels[i] = {l, cap, rate}
end
for i = 1, nr do put(KEYS[i], levels[i][1] - 1, levels[i][2], levels[i][3], now) end
for j = 1, ns do
  redis.call('ZADD', KEYS[nr + j], now + ttl, lease)
  redis.call('PEXPIRE', KEYS[nr + j], ttl * 2)
end
for m = 1, nt do
  local i = nr + ns + m
  put(KEYS[i], levels[i][1] - tokens, levels[i][2], levels[i][3], now)
end
return {1}
`;

/**
 * KEYS: token buckets. ARGV: wanted, then capacity and refill per bucket.
 * Returns {granted, retry ms as a string, index of the lowest bucket (1-based)}.
 */
export const RESERVE_SCRIPT = `${HELPERS}
local want = tonumber(ARGV[1])
local now = now_ms()
local grant, retry, lowest, bottleneck = want, 0, nil, 1
local levels = {}
for i = 1, #KEYS do
  local cap, rate = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local l = level(KEYS[i], cap, rate, now)
  levels[i] = {l, cap, rate}
  if lowest == nil or l < lowest then
    lowest = l
    bottleneck = i
  end
  local whole = math.floor(l)
  if whole < 0 then whole = 0 end
  if whole < grant then grant = whole end
  local w = wait_ms(l, 1, rate)
  if w > retry then retry = w end
end
if grant <= 0 then return {0, tostring(retry), bottleneck} end
for i = 1, #KEYS do put(KEYS[i], levels[i][1] - grant, levels[i][2], levels[i][3], now) end
return {grant, '0', bottleneck}
`;

/** KEYS: token buckets. ARGV: delta, then capacity and refill per bucket. */
export const ADJUST_SCRIPT = `${HELPERS}
local delta = tonumber(ARGV[1])
local now = now_ms()
for i = 1, #KEYS do
  local cap, rate = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local l = level(KEYS[i], cap, rate, now) + delta
  if l > cap then l = cap end
  put(KEYS[i], l, cap, rate, now)
end
return 1
`;

/** KEYS: slot sets. ARGV: lease id, lease ttl ms. Extends the lease where it is still held. */
export const RENEW_SCRIPT = `${HELPERS}
local now = now_ms()
for i = 1, #KEYS do
  if redis.call('ZSCORE', KEYS[i], ARGV[1]) then
    redis.call('ZADD', KEYS[i], now + tonumber(ARGV[2]), ARGV[1])
    redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2]) * 2)
  end
end
return 1
`;
