-- docs_swap.lua: make the documents staged in KEYS[2] the kind's whole set (put_many of many
-- documents with replace_all). RENAME would carry the staging hash's expiry over, so the
-- result is made persistent in the same step. Both keys share the kind's hash tag.
--
-- KEYS[1]  the kind's hash: id -> document JSON
-- KEYS[2]  the staging hash, filled in chunks by the caller (with an expiry, for crashes)
--
-- Returns the number of documents.

redis.call("RENAME", KEYS[2], KEYS[1])
redis.call("PERSIST", KEYS[1])
return redis.call("HLEN", KEYS[1])
