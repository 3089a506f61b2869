-- outbox_retry.lua: put a claimed job back, due again at ARGV[2] with ARGV[3] attempts.
--
-- KEYS[1]  due: sorted set, job id -> due (or claimed-until) time, ms
-- KEYS[2]  jobs: hash, job id -> job JSON
-- KEYS[3]  meta: hash, job id -> "due_ms attempts"
-- ARGV[1]  job id
-- ARGV[2]  due, ms
-- ARGV[3]  attempts
--
-- Returns 1, or 0 if there is no such job.

if redis.call("HEXISTS", KEYS[2], ARGV[1]) == 0 then
  return 0
end
redis.call("HSET", KEYS[3], ARGV[1], ARGV[2] .. " " .. ARGV[3])
redis.call("ZADD", KEYS[1], ARGV[2], ARGV[1])
return 1
