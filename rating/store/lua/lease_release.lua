-- lease_release.lua: compare-and-delete, so only the holder gives the lease back.
--
-- KEYS[1]  the lease: string, the owner, with a TTL
-- ARGV[1]  owner
--
-- Returns 1 if released, 0 if someone else (or nobody) held it.

if redis.call("GET", KEYS[1]) ~= ARGV[1] then
  return 0
end
return redis.call("DEL", KEYS[1])
