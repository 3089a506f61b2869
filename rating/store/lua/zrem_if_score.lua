-- zrem_if_score.lua: remove a sorted-set member only if its score is still ARGV[2]
-- (nobody touched it since we looked), so a concurrent writer's mark is never lost.
--
-- KEYS[1]  the sorted set
-- ARGV[1]  member
-- ARGV[2]  the score we saw
--
-- Returns 1 if removed, else 0.

local score = redis.call("ZSCORE", KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then
  return 0
end
return redis.call("ZREM", KEYS[1], ARGV[1])
