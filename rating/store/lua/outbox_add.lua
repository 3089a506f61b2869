-- outbox_add.lua: queue one job, unless a job with this id is already queued.
--
-- KEYS[1]  due: sorted set, job id -> due (or claimed-until) time, ms
-- KEYS[2]  jobs: hash, job id -> job JSON
-- KEYS[3]  meta: hash, job id -> "due_ms attempts"
-- ARGV[1]  job id
-- ARGV[2]  job JSON
--
-- Returns 1 if queued, 0 if it was there already.

if redis.call("HSETNX", KEYS[2], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call("HSET", KEYS[3], ARGV[1], "0 0")
redis.call("ZADD", KEYS[1], 0, ARGV[1])
return 1
