-- outbox_claim.lua: claim up to ARGV[3] due jobs for ARGV[2] ms.
--
-- KEYS[1]  due: sorted set, job id -> due (or claimed-until) time, ms
-- KEYS[2]  jobs: hash, job id -> job JSON
-- KEYS[3]  meta: hash, job id -> "due_ms attempts"
-- ARGV[1]  now, ms
-- ARGV[2]  lease, ms
-- ARGV[3]  limit
--
-- Returns a flat list: id, meta, job JSON, id, meta, job JSON, ...

local until_ms = tonumber(ARGV[1]) + tonumber(ARGV[2])
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, ARGV[3])
local out = {}
for _, id in ipairs(ids) do
  local job = redis.call("HGET", KEYS[2], id)
  if job then
    redis.call("ZADD", KEYS[1], until_ms, id)
    out[#out + 1] = id
    out[#out + 1] = redis.call("HGET", KEYS[3], id) or "0 0"
    out[#out + 1] = job
  else
    redis.call("ZREM", KEYS[1], id)
  end
end
return out
