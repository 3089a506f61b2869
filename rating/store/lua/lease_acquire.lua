-- lease_acquire.lua: take the lease if it is free (or expired: Redis dropped the key), or
-- renew it if ARGV[1] holds it already. Renewing makes a retried call harmless.
--
-- KEYS[1]  the lease: string, the owner, with a TTL
-- ARGV[1]  owner
-- ARGV[2]  time to live, ms
--
-- Returns 1 if ARGV[1] now holds the lease, else 0.

local owner = redis.call("GET", KEYS[1])
if owner and owner ~= ARGV[1] then
  return 0
end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return 1
