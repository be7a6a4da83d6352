-- 90-day retention of agent data (package agents, Retention), as
-- internal/sqlite's migration 011: a periodic job deletes the rows of the
-- agent time series older than 90 days, and the intake ledger's entries
-- taken in more than 90 days ago, in small batches, each a range of one of
-- these indexes. Agent exports keep reading their window through the
-- primary keys, which lead with (account, agent, time). (Why indexes rather
-- than partitions by time: docs/architecture.md, "Time series".)
--
-- The migration runs in a transaction, so the indexes are built without
-- CONCURRENTLY: writes to these tables wait while they are built, once, at
-- the upgrade.
CREATE INDEX perf_samples_by_time ON perf_samples (ts_ms);
CREATE INDEX system_observations_by_time ON system_observations (ts_ms);
CREATE INDEX process_observations_by_time ON process_observations (ts_ms);
CREATE INDEX connection_observations_by_time ON connection_observations (ts_ms);
CREATE INDEX agent_reports_by_received ON agent_reports (received_ms);
