-- Settings that outlive a reset, such as the server secret.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- Accounts seen by the server; the default home region is applied once, on first sight.
CREATE TABLE accounts (
    account_id    TEXT PRIMARY KEY,
    first_seen_ms INTEGER NOT NULL
);

-- Migration Hub home region controls: at most one per account.
CREATE TABLE home_region_controls (
    control_id        TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL UNIQUE,
    home_region       TEXT NOT NULL,
    requested_time_ms INTEGER NOT NULL
);

-- Discovery agents. The inventory issue adds the rest of their data.
CREATE TABLE agents (
    account_id    TEXT NOT NULL,
    agent_id      TEXT NOT NULL,
    host_name     TEXT NOT NULL DEFAULT '',
    registered_ms INTEGER NOT NULL,
    first_data_ms INTEGER,
    last_data_ms  INTEGER,
    PRIMARY KEY (account_id, agent_id)
);

-- Export tasks. The table is also the worker's durable queue: an IN_PROGRESS
-- row whose ready_at has passed and whose lease is free is claimable.
CREATE TABLE export_tasks (
    export_id          TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL,
    kind               TEXT NOT NULL,
    operation          TEXT NOT NULL,
    agent_id           TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL,
    status_message     TEXT NOT NULL,
    request_time_ms    INTEGER NOT NULL,
    requested_start_ms INTEGER,
    requested_end_ms   INTEGER,
    preferences        TEXT NOT NULL DEFAULT '',
    is_truncated       INTEGER NOT NULL DEFAULT 0,
    ready_at_ms        INTEGER NOT NULL,
    finished_at_ms     INTEGER,
    file_size          INTEGER NOT NULL DEFAULT 0,
    expired            INTEGER NOT NULL DEFAULT 0,
    attempts           INTEGER NOT NULL DEFAULT 0,
    lease_owner        TEXT,
    lease_until_ms     INTEGER
);

CREATE INDEX export_tasks_by_account ON export_tasks (account_id, request_time_ms DESC, export_id DESC);
CREATE INDEX export_tasks_by_agent ON export_tasks (account_id, agent_id, request_time_ms DESC, export_id DESC);
CREATE INDEX export_tasks_queue ON export_tasks (ready_at_ms) WHERE status = 'IN_PROGRESS';
CREATE INDEX export_tasks_retention ON export_tasks (finished_at_ms) WHERE status = 'SUCCEEDED' AND expired = 0;
