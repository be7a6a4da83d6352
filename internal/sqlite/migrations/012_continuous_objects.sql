-- Continuous export buckets kept in the store (continuous.Objects over the
-- store). poseidon on SQLite keeps its buckets in the data directory; the
-- table is here so that both stores offer the same methods (storetest).
CREATE TABLE continuous_objects (
    bucket      TEXT NOT NULL,
    key         TEXT NOT NULL,
    data        BLOB NOT NULL,
    modified_ms INTEGER NOT NULL,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
