-- cdr_index.lua: add one CDR to the global CDR indexes (all under the {cdrs} hash tag).
-- Idempotent: indexing the same CDR twice changes nothing.
--
-- KEYS[1]  time index: sorted set, score 0, member "<OrderTime, 20 digits>␟CGRID␟RunID␟T:A"
-- KEYS[2]  locations: hash "CGRID␟RunID" -> "<member>␟OriginID", one place per CDR
-- KEYS[3]  this CDR's OriginID index, KEYS[4] its CGRID index (same members as KEYS[1])
-- ARGV[1]  location field "CGRID␟RunID"
-- ARGV[2]  index member
-- ARGV[3]  OriginID
--
-- Returns the previous location when this CDR replaced one stored elsewhere (the caller
-- removes it from that OriginID index and account), or false.

local location = ARGV[2] .. "\31" .. ARGV[3]
local old = redis.call("HGET", KEYS[2], ARGV[1])
if old == location then
  return false
end
redis.call("HSET", KEYS[2], ARGV[1], location)
redis.call("ZADD", KEYS[1], 0, ARGV[2])
redis.call("ZADD", KEYS[3], 0, ARGV[2])
redis.call("ZADD", KEYS[4], 0, ARGV[2])
if not old then
  return false
end
local old_member = string.match(old, "^(.*)\31[^\31]*$")
if old_member ~= ARGV[2] then
  redis.call("ZREM", KEYS[1], old_member)
  redis.call("ZREM", KEYS[4], old_member)
end
return old
