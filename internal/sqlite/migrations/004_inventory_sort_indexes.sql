-- Indexes for the sortable fields of ListConfigurations, so that a keyset
-- page sorted by one of them is an index range scan at any depth.
-- (server.hostName has servers_by_host; the connection IPs have 003's.)
CREATE INDEX servers_by_os_name ON servers (account_id, os_name);
CREATE INDEX servers_by_os_version ON servers (account_id, os_version);
CREATE INDEX processes_by_name ON processes (account_id, name);
