-- StartBatchDeleteConfigurationTask tasks. The ID lists and outcomes are
-- JSON arrays; a task is pending until its status is COMPLETED or FAILED.
CREATE TABLE batch_delete_tasks (
    account_id         TEXT NOT NULL,
    task_id            TEXT NOT NULL,
    configuration_type TEXT NOT NULL,
    status             TEXT NOT NULL,
    start_ms           INTEGER NOT NULL,
    end_ms             INTEGER,
    requested          TEXT NOT NULL DEFAULT '[]', -- JSON ["id"]
    deleted            TEXT NOT NULL DEFAULT '[]', -- JSON ["id"]
    failed             TEXT NOT NULL DEFAULT '[]', -- JSON [{"id","code","message"}]
    warnings           TEXT NOT NULL DEFAULT '[]', -- JSON [{"id","code","text"}]
    seq                INTEGER NOT NULL,           -- insertion order, for the runner
    PRIMARY KEY (account_id, task_id)
) WITHOUT ROWID;
CREATE INDEX batch_delete_tasks_pending ON batch_delete_tasks (status, seq);
