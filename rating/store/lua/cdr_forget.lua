-- cdr_forget.lua: remove a CDR from an account it moved away from (same slot as the account).
--
-- KEYS[1]  the CDR hash in the old account: m (index member), doc
-- KEYS[2]  the old account's CDR index
-- ARGV[1]  the member the CDR had there; nothing happens if the hash holds another one
--
-- Returns 1 if removed, else 0.

if redis.call("HGET", KEYS[1], "m") ~= ARGV[1] then
  return 0
end
redis.call("DEL", KEYS[1])
redis.call("ZREM", KEYS[2], ARGV[1])
return 1
