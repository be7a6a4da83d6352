-- Import tasks (StartImportTask / DescribeImportTasks / BatchDeleteImportData).
CREATE TABLE import_tasks (
    account_id     TEXT NOT NULL,
    task_id        TEXT NOT NULL,
    client_token   TEXT NOT NULL DEFAULT '',
    name           TEXT NOT NULL,
    url            TEXT NOT NULL,
    status         TEXT NOT NULL,
    request_ms     INTEGER NOT NULL,
    completion_ms  INTEGER NOT NULL DEFAULT 0,
    deleted_ms     INTEGER NOT NULL DEFAULT 0,
    server_success INTEGER NOT NULL DEFAULT 0,
    server_failure INTEGER NOT NULL DEFAULT 0,
    app_success    INTEGER NOT NULL DEFAULT 0,
    app_failure    INTEGER NOT NULL DEFAULT 0,
    has_errors_zip INTEGER NOT NULL DEFAULT 0,
    hidden         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, task_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX import_tasks_by_token ON import_tasks (account_id, client_token) WHERE client_token <> '';
CREATE INDEX import_tasks_pending ON import_tasks (status);

-- Which servers each import task created or matched.
CREATE TABLE import_records (
    account_id TEXT NOT NULL,
    task_id    TEXT NOT NULL,
    server_id  TEXT NOT NULL,
    created    INTEGER NOT NULL,
    PRIMARY KEY (account_id, task_id, server_id)
) WITHOUT ROWID;

ALTER TABLE servers ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
CREATE INDEX servers_by_external_id ON servers (account_id, external_id);
