-- commit.lua: apply one account transaction atomically, at most once per transaction id.
-- Every key carries the account's hash tag, so the script runs in one Cluster slot.
-- Reads and checks come first; writes only after, so an error never leaves half a commit.
--
-- KEYS[1]        account hash: v (version), doc (JSON; absent = no account), oseq (job counter)
-- KEYS[2]        txn record: the result JSON, expiring after ARGV[5] ms
-- KEYS[3]        spool list: entries on their way to the global CDR indexes and outbox
-- KEYS[4]        the account's CDR index (sorted set, score 0, ordered by member)
-- KEYS[5..4+n]   one hash per CDR: m (its index member), doc (CDR JSON)
--
-- ARGV[1]        expected version ("0" = no account yet); "" = plain CDR append: no check,
--                no txn record
-- ARGV[2]        account action: "keep" | "put" | "del"
-- ARGV[3]        new account JSON (for "put")
-- ARGV[4]        result JSON
-- ARGV[5]        txn record time to live, ms
-- ARGV[6]        n, the number of CDRs of this account
-- ARGV[7..6+3n]  per CDR: index member, CDR JSON, spool entry
-- ARGV[7+3n]     outbox job id prefix (the account id and "#")
-- ARGV[8+3n]     f, the number of spool entries to add as they are (CDRs of other accounts)
-- ARGV[9+3n..8+3n+f]  those entries
-- ARGV[9+3n+f..] outbox job JSONs; each gets the id prefix .. counter
--
-- Returns {0, result} if this txn id was applied before, {1, version} once committed,
-- or {2, version, doc} when the account is not at the expected version (caller retries).

local check = ARGV[1]
if check ~= "" then
  local done = redis.call("GET", KEYS[2])
  if done then
    return {0, done}
  end
  local current = redis.call("HMGET", KEYS[1], "v", "doc")
  local version = current[1] or "0"
  if version ~= check then
    return {2, version, current[2]}
  end
end

local version = tonumber(redis.call("HGET", KEYS[1], "v") or "0")
local action = ARGV[2]
if action == "put" then
  version = redis.call("HINCRBY", KEYS[1], "v", 1)
  redis.call("HSET", KEYS[1], "doc", ARGV[3])
elseif action == "del" then
  version = redis.call("HINCRBY", KEYS[1], "v", 1)  -- a tombstone keeps versions rising
  redis.call("HDEL", KEYS[1], "doc")
end

local n = tonumber(ARGV[6])
for i = 1, n do
  local key, member = KEYS[4 + i], ARGV[4 + 3 * i]
  local old = redis.call("HGET", key, "m")
  if old and old ~= member then
    redis.call("ZREM", KEYS[4], old)
  end
  redis.call("HSET", key, "m", member, "doc", ARGV[5 + 3 * i])
  redis.call("ZADD", KEYS[4], 0, member)
  redis.call("RPUSH", KEYS[3], ARGV[6 + 3 * i])
end

local prefix = ARGV[7 + 3 * n]
local foreign = tonumber(ARGV[8 + 3 * n])
for j = 9 + 3 * n, 8 + 3 * n + foreign do
  redis.call("RPUSH", KEYS[3], ARGV[j])
end
for j = 9 + 3 * n + foreign, #ARGV do
  local id = prefix .. redis.call("HINCRBY", KEYS[1], "oseq", 1)
  redis.call("RPUSH", KEYS[3], "j\31" .. id .. "\31" .. ARGV[j])
end

if check ~= "" then
  redis.call("SET", KEYS[2], ARGV[4], "PX", ARGV[5])
end
return {1, tostring(version)}
