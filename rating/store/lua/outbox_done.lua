-- outbox_done.lua: forget a job.
--
-- KEYS[1]  due: sorted set, job id -> due (or claimed-until) time, ms
-- KEYS[2]  jobs: hash, job id -> job JSON
-- KEYS[3]  meta: hash, job id -> "due_ms attempts"
-- ARGV[1]  job id
--
-- Returns 1 if the job was there, else 0.

redis.call("ZREM", KEYS[1], ARGV[1])
redis.call("HDEL", KEYS[3], ARGV[1])
return redis.call("HDEL", KEYS[2], ARGV[1])
