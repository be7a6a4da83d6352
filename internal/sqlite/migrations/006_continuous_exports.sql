-- Continuous exports (StartContinuousExport). The status is derived from
-- start_ms/stop_ms and the virtual clock (see internal/continuous); a row
-- with stop_ms NULL is running, and an account has at most one.
CREATE TABLE continuous_exports (
    export_id  TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    s3_bucket  TEXT NOT NULL,
    start_ms   INTEGER NOT NULL,
    stop_ms    INTEGER
);

CREATE UNIQUE INDEX continuous_exports_running ON continuous_exports (account_id) WHERE stop_ms IS NULL;
CREATE INDEX continuous_exports_by_account ON continuous_exports (account_id, start_ms DESC, export_id DESC);
