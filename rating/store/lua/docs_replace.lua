-- docs_replace.lua: replace every document of a kind at once (put_many with replace_all).
--
-- KEYS[1]  the kind's hash: id -> document JSON
-- ARGV     id, JSON, id, JSON, ...
--
-- Returns the number of documents written.

redis.call("DEL", KEYS[1])
local chunk = 1000  -- HSET arguments per call: unpack() has a limit
for i = 1, #ARGV, 2 * chunk do
  redis.call("HSET", KEYS[1], unpack(ARGV, i, math.min(i + 2 * chunk - 1, #ARGV)))
end
return #ARGV / 2
