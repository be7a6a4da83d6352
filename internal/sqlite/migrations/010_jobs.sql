-- One durable job queue for all background work (package queue): export
-- builds, imports, batch deletes, continuous-export transitions and the
-- janitor. A job is claimed with an owner and a lease (owner, lease_until_ms
-- on the virtual clock); one whose lease has passed is taken over by another
-- owner. A task and its job are inserted in one transaction. A job of the
-- same kind, account and ref is queued at most once.
CREATE TABLE jobs (
    job_id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT NOT NULL,
    account_id     TEXT NOT NULL,
    ref            TEXT NOT NULL,
    run_at_ms      INTEGER NOT NULL,
    owner          TEXT,
    lease_until_ms INTEGER,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT NOT NULL DEFAULT '',
    created_ms     INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_by_task ON jobs (kind, account_id, ref);
CREATE INDEX jobs_due ON jobs (run_at_ms, job_id);

-- Work pending at upgrade gets its job. Exports keep their claims so far
-- (a task interrupted 3 times is failed when next claimed); a lease of the
-- old worker is dropped, as its restart recovery did.
INSERT INTO jobs (kind, account_id, ref, run_at_ms, attempts, created_ms)
SELECT 'export', account_id, export_id, ready_at_ms, attempts, request_time_ms
FROM export_tasks WHERE status = 'IN_PROGRESS' ORDER BY request_time_ms, export_id;

-- Imports and batch deletes may run at any time (run_at 0).
INSERT INTO jobs (kind, account_id, ref, run_at_ms, created_ms)
SELECT 'import', account_id, task_id, 0, request_ms
FROM import_tasks WHERE status = 'IMPORT_IN_PROGRESS' ORDER BY request_ms, task_id;

INSERT INTO jobs (kind, account_id, ref, run_at_ms, created_ms)
SELECT 'batch-delete', account_id, task_id, 0, start_ms
FROM batch_delete_tasks WHERE status IN ('INITIALIZING', 'VALIDATING', 'DELETING') ORDER BY seq;

-- Continuous exports record their status; the transitions to ACTIVE and
-- INACTIVE are jobs due 10 s (virtual clock) after the start and the stop.
-- Every export gets the job of its last transition; those long past run
-- once, right after the upgrade.
ALTER TABLE continuous_exports ADD COLUMN state TEXT NOT NULL DEFAULT '';
ALTER TABLE continuous_exports ADD COLUMN status_detail TEXT NOT NULL DEFAULT '';
UPDATE continuous_exports SET state = CASE WHEN stop_ms IS NULL THEN 'START_IN_PROGRESS' ELSE 'STOP_IN_PROGRESS' END;

INSERT INTO jobs (kind, account_id, ref, run_at_ms, created_ms)
SELECT CASE WHEN stop_ms IS NULL THEN 'continuous-start' ELSE 'continuous-stop' END,
       account_id, export_id, coalesce(stop_ms, start_ms) + 10000, coalesce(stop_ms, start_ms)
FROM continuous_exports ORDER BY start_ms, export_id;

-- The queue state of the old export worker, and the indexes the old runners
-- listed pending tasks with, go.
DROP INDEX IF EXISTS export_tasks_queue;
ALTER TABLE export_tasks DROP COLUMN lease_owner;
ALTER TABLE export_tasks DROP COLUMN lease_until_ms;
ALTER TABLE export_tasks DROP COLUMN attempts;
DROP INDEX IF EXISTS import_tasks_pending;
DROP INDEX IF EXISTS batch_delete_tasks_pending;
