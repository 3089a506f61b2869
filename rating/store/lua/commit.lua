-- commit.lua: apply one account transaction atomically, at most once per transaction id.
-- Every key carries the account's hash tag, so the script runs in one Cluster slot.
-- Reads and checks come first; writes only after, so an error never leaves half a commit.
--
-- KEYS[1]        account hash: v (version), doc (JSON; absent = no account), oseq (job counter)
-- KEYS[2]        txn record: the result JSON, expiring after ARGV[5] ms
-- KEYS[3]        spool list: entries on their way to the global CDR indexes and outbox
--                (only given when ARGV[6..] are)
-- KEYS[4]        the account's CDR index (sorted set, score 0, ordered by member)
-- KEYS[5..4+n]   one hash per CDR: m (its index member), doc (CDR JSON)
--
-- ARGV[1]        expected version ("0" = no account yet); "" = plain CDR append: no check,
--                no txn record
-- ARGV[2]        account action: "keep" | "put" | "del"
-- ARGV[3]        new account JSON (for "put")
-- ARGV[4]        result JSON
-- ARGV[5]        txn record time to live, ms
-- ARGV[6]        n, the number of CDRs of this account      } absent when the commit
-- ARGV[7]        f, the number of foreign spool entries      } has no CDRs and no jobs
-- ARGV[8]        outbox job id prefix (the account id and "#") }
-- ARGV[9..8+3n]  per CDR: index member, CDR JSON, spool entry
-- next f         spool entries to add as they are (CDRs of other accounts)
-- the rest       outbox job JSONs; each gets the id prefix .. counter
--
-- Returns {0, result} if this txn id was applied before, {1, version} once committed,
-- or {2, version, doc} when the account is not at the expected version (caller retries).

local check = ARGV[1]
local version = "0"
if check ~= "" then
  local done = redis.call("GET", KEYS[2])
  if done then
    return {0, done}
  end
  local current = redis.call("HMGET", KEYS[1], "v", "doc")
  version = current[1] or "0"
  if version ~= check then
    return {2, version, current[2]}
  end
end

local action = ARGV[2]
if action == "put" then
  version = redis.call("HINCRBY", KEYS[1], "v", 1)
  redis.call("HSET", KEYS[1], "doc", ARGV[3])
elseif action == "del" then
  version = redis.call("HINCRBY", KEYS[1], "v", 1)  -- a tombstone keeps versions rising
  redis.call("HDEL", KEYS[1], "doc")
end

local n = tonumber(ARGV[6] or "0")
local f = tonumber(ARGV[7] or "0")
for i = 1, n do
  local key, at = KEYS[4 + i], 6 + 3 * i
  local member = ARGV[at]
  local old = redis.call("HGET", key, "m")
  if old and old ~= member then
    redis.call("ZREM", KEYS[4], old)
  end
  redis.call("HSET", key, "m", member, "doc", ARGV[at + 1])
  redis.call("ZADD", KEYS[4], 0, member)
  redis.call("RPUSH", KEYS[3], ARGV[at + 2])
end
for j = 9 + 3 * n, 8 + 3 * n + f do
  redis.call("RPUSH", KEYS[3], ARGV[j])
end
for j = 9 + 3 * n + f, #ARGV do
  local id = ARGV[8] .. redis.call("HINCRBY", KEYS[1], "oseq", 1)
  redis.call("RPUSH", KEYS[3], "j\31" .. id .. "\31" .. ARGV[j])
end

if check ~= "" then
  redis.call("SET", KEYS[2], ARGV[4], "PX", ARGV[5])
end
return {1, tostring(version)}
