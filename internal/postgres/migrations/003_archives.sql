-- Export archives (the archive store of archives.go), in the database so
-- that every replica serves every download. An archive is a header row and
-- its bytes in chunks of chunk_size bytes (the last one shorter, none for
-- an empty archive), numbered from 0. A write inserts its header
-- uncommitted, then its chunks one at a time, then commits it in one
-- transaction that also deletes the export's previous archive: readers see
-- committed archives only, so never part of one. An uncommitted archive is
-- a write in progress, or what a write that failed without cleaning up, or
-- whose process died, left (the build that takes its export over removes
-- it; so do Remove and the resets).
CREATE TABLE export_archives (
    archive_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL,
    export_id  text COLLATE "C" NOT NULL,
    chunk_size integer NOT NULL CHECK (chunk_size > 0),
    size       bigint NOT NULL DEFAULT 0,
    committed  boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- An export has one committed archive at most; the second index finds all
-- of an export's archives (and, by its prefix, an account's).
CREATE UNIQUE INDEX export_archives_committed ON export_archives (account_id, export_id) WHERE committed;
CREATE INDEX export_archives_by_export ON export_archives (account_id, export_id);

CREATE TABLE export_archive_chunks (
    archive_id bigint NOT NULL REFERENCES export_archives ON DELETE CASCADE,
    seq        integer NOT NULL CHECK (seq >= 0),
    data       bytea NOT NULL,
    PRIMARY KEY (archive_id, seq)
);
-- Zip bytes do not compress: keep them out of line without trying to.
ALTER TABLE export_archive_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
