-- Continuous export buckets (continuous.Objects over the store), in the
-- database so that every replica serves every bucket, whichever replica
-- delivered its files. An object is written whole in one statement
-- (readers see all of it or the previous version); a bucket's name is
-- derived from its account (continuous.Bucket), and an account's reset
-- deletes its bucket's objects through the continuous export files.
CREATE TABLE continuous_objects (
    bucket      text COLLATE "C" NOT NULL,
    key         text COLLATE "C" NOT NULL,
    data        bytea NOT NULL,
    modified_ms bigint NOT NULL,
    PRIMARY KEY (bucket, key)
);
