-- Tags of any length. A tag's key and value have no length bound (the
-- model sets none; a megabyte key is stored and returned), but a B-tree
-- entry holds at most 2,704 bytes: the primary key (account_id,
-- configuration_id, key, value) and tags_by_key refused a long tag, and
-- CreateTags answered 500. The pair is now unique by its SHA-256 digest,
-- and the tags are found by item (and, for a key filter, by the key's
-- MD5); pages in (configuration_id, key, value) order sort the few tags of
-- each item.

-- tag_digest is the SHA-256 of key, a NUL byte (which text never holds)
-- and value. It is immutable: convert_to depends only on the database's
-- encoding, fixed when the database was made.
CREATE FUNCTION tag_digest(key text, value text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT pg_catalog.sha256(pg_catalog.convert_to(key, 'UTF8') || '\x00'::bytea || pg_catalog.convert_to(value, 'UTF8')) $$;

ALTER TABLE tags DROP CONSTRAINT tags_pkey;
DROP INDEX tags_by_key;
CREATE UNIQUE INDEX tags_pair ON tags (account_id, configuration_id, tag_digest(key, value));
CREATE INDEX tags_by_key ON tags (account_id, md5(key));
