-- Server fields of any length. A B-tree entry holds at most 2,704 bytes,
-- and an import takes its rows' host names, OS names and versions, external
-- IDs and IP addresses at any length (the model bounds none of them): a
-- server with one of them longer than about 2,600 incompressible bytes did
-- not fit the index over it, and its import failed. Likewise an agent
-- export names its agent with a filter value of up to 1,000 characters
-- (4,000 bytes of UTF-8), and an agent's report names its network
-- interfaces at any length.
--
-- Every index over such a column now holds a bounded key.
--
-- Columns that are only looked up (external IDs, IP addresses, the agent
-- of an export) are indexed by their first 256 characters, at most 1,024
-- bytes: a lookup reads the range of its value's prefix and checks the
-- value, left(col, 256) = left($v, 256) AND col = $v. (An export page of
-- one agent still reads its index in time order.)
--
-- The sortable fields of ListConfigurations (host name, OS name and
-- version) have two partial indexes: values of at most 256 characters
-- whole, in the keyset order (account, value, server) as before, so that a
-- page sorted by the field is a range scan of it at any depth however many
-- servers share a value; and longer values by their first 256 characters
-- (at most 1,024 bytes). A sorted page reads both from the keyset cursor
-- and merges them (UNION ALL): under the "C" collation a prefix sorts as
-- its value does (a <= b implies left(a, n) <= left(b, n)), so the long
-- values come in the order of their prefix, and only those that share one
-- are sorted. A lookup by value reads the one index its length selects. A
-- DNS name has at most 253 characters: real host names are all short.
--
-- A network interface is unique by (server, name, IP address), as on
-- SQLite, through the SHA-256 of the pair (tag_digest of migration 004,
-- the digest of two texts).
--
-- Indexes over user-supplied text that stay as they were, since their
-- values are bounded: agents' and agent reports' IDs (10 to 20 and 1 to 128
-- characters), servers_by_agent (an agent ID), processes_by_name (a process
-- name is at most 1,024 bytes at intake, the only writer), connections by
-- IP (intake takes only parsed IP addresses), import_tasks_by_token (at
-- most 100 characters), and accounts (12 digits).

DROP INDEX servers_by_external_id;
CREATE INDEX servers_by_external_id ON servers (account_id, left(external_id, 256));

DROP INDEX servers_by_host;
DROP INDEX servers_by_os_name;
DROP INDEX servers_by_os_version;
CREATE INDEX servers_by_host ON servers (account_id, host_name, server_id) WHERE length(host_name) <= 256;
CREATE INDEX servers_by_host_long ON servers (account_id, left(host_name, 256), server_id) WHERE length(host_name) > 256;
CREATE INDEX servers_by_os_name ON servers (account_id, os_name, server_id) WHERE length(os_name) <= 256;
CREATE INDEX servers_by_os_name_long ON servers (account_id, left(os_name, 256), server_id) WHERE length(os_name) > 256;
CREATE INDEX servers_by_os_version ON servers (account_id, os_version, server_id) WHERE length(os_version) <= 256;
CREATE INDEX servers_by_os_version_long ON servers (account_id, left(os_version, 256), server_id) WHERE length(os_version) > 256;

ALTER TABLE network_interfaces DROP CONSTRAINT network_interfaces_pkey;
CREATE UNIQUE INDEX network_interfaces_key ON network_interfaces (account_id, server_id, tag_digest(name, ip_address));
DROP INDEX network_interfaces_by_ip;
CREATE INDEX network_interfaces_by_ip ON network_interfaces (account_id, left(ip_address, 256));

DROP INDEX export_tasks_by_agent;
CREATE INDEX export_tasks_by_agent ON export_tasks (account_id, left(agent_id, 256), request_time_ms DESC, export_id DESC);
