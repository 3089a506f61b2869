-- docs_merge.lua: add the documents staged in KEYS[2] to the kind's hash, then drop the
-- staging hash (put_many of many documents without replace_all). Both keys share the
-- kind's hash tag.
--
-- KEYS[1]  the kind's hash: id -> document JSON
-- KEYS[2]  the staging hash, filled in chunks by the caller
--
-- Returns the number of documents merged.

local staged = redis.call("HGETALL", KEYS[2])
local chunk = 2000  -- HSET arguments per call: unpack() has a limit
for i = 1, #staged, chunk do
  redis.call("HSET", KEYS[1], unpack(staged, i, math.min(i + chunk - 1, #staged)))
end
redis.call("DEL", KEYS[2])
return #staged / 2
