-- The discovered inventory: agents, configuration items (servers, processes,
-- connections, applications), tags, and the time series agent exports read.
-- Every table is keyed by account first: accounts never see each other's rows.
-- Times are epoch milliseconds of the virtual clock or of the agent's report.

DROP TABLE agents;

-- Discovery agents and collectors (DescribeAgents' AgentInfo).
CREATE TABLE agents (
    account_id          TEXT NOT NULL,
    agent_id            TEXT NOT NULL,
    agent_type          TEXT NOT NULL DEFAULT 'EC2',
    connector_id        TEXT NOT NULL DEFAULT '',
    host_name           TEXT NOT NULL DEFAULT '',
    version             TEXT NOT NULL DEFAULT '',
    health              TEXT NOT NULL DEFAULT 'HEALTHY',
    collection_status   TEXT NOT NULL DEFAULT 'STARTED', -- STARTED or STOPPED
    network_info        TEXT NOT NULL DEFAULT '[]',      -- JSON [{"ipAddress","macAddress"}]
    registered_ms       INTEGER NOT NULL,
    last_health_ping_ms INTEGER NOT NULL,
    first_data_ms       INTEGER,                          -- earliest sample time
    last_data_ms        INTEGER,                          -- latest sample time
    server_id           TEXT NOT NULL DEFAULT '',        -- the agent's server
    PRIMARY KEY (account_id, agent_id)
) WITHOUT ROWID;

-- Report IDs already taken in: intake is idempotent on them.
CREATE TABLE agent_reports (
    account_id  TEXT NOT NULL,
    report_id   TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    ts_ms       INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, report_id)
) WITHOUT ROWID;

-- Servers (configuration items d-server-...). Agent-discovered servers carry
-- running performance aggregates over all their samples.
CREATE TABLE servers (
    account_id      TEXT NOT NULL,
    server_id       TEXT NOT NULL,
    agent_id        TEXT NOT NULL DEFAULT '',     -- '' for imported servers
    source          TEXT NOT NULL DEFAULT 'Agent', -- Agent or Import
    host_name       TEXT NOT NULL DEFAULT '',
    os_name         TEXT NOT NULL DEFAULT '',
    os_version      TEXT NOT NULL DEFAULT '',
    cpu_type        TEXT NOT NULL DEFAULT '',
    hypervisor      TEXT NOT NULL DEFAULT '',
    server_type     TEXT NOT NULL DEFAULT 'OTHER',
    num_cpus        INTEGER NOT NULL DEFAULT 0,
    num_cores       INTEGER NOT NULL DEFAULT 0,
    num_logical     INTEGER NOT NULL DEFAULT 0,
    total_ram_mb    REAL NOT NULL DEFAULT 0,
    total_disk_gb   REAL NOT NULL DEFAULT 0,
    num_disks       INTEGER NOT NULL DEFAULT 0,
    num_nics        INTEGER NOT NULL DEFAULT 0,
    vm_moref_id     TEXT NOT NULL DEFAULT '',
    vm_name         TEXT NOT NULL DEFAULT '',
    vcenter_id      TEXT NOT NULL DEFAULT '',
    vcenter_name    TEXT NOT NULL DEFAULT '',
    vm_folder_path  TEXT NOT NULL DEFAULT '',
    vm_host_id      TEXT NOT NULL DEFAULT '',
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL,
    perf_samples    INTEGER NOT NULL DEFAULT 0,
    cpu_sum         REAL NOT NULL DEFAULT 0,
    cpu_max         REAL NOT NULL DEFAULT 0,
    free_ram_sum    REAL NOT NULL DEFAULT 0,       -- MB
    free_ram_min    REAL,                          -- MB
    disk_free_gb    REAL NOT NULL DEFAULT 0,       -- latest sample
    disk_read_kbps_sum  REAL NOT NULL DEFAULT 0,
    disk_read_kbps_max  REAL NOT NULL DEFAULT 0,
    disk_write_kbps_sum REAL NOT NULL DEFAULT 0,
    disk_write_kbps_max REAL NOT NULL DEFAULT 0,
    disk_read_ops_sum   REAL NOT NULL DEFAULT 0,
    disk_read_ops_max   REAL NOT NULL DEFAULT 0,
    disk_write_ops_sum  REAL NOT NULL DEFAULT 0,
    disk_write_ops_max  REAL NOT NULL DEFAULT 0,
    net_read_kbps_sum   REAL NOT NULL DEFAULT 0,
    net_read_kbps_max   REAL NOT NULL DEFAULT 0,
    net_write_kbps_sum  REAL NOT NULL DEFAULT 0,
    net_write_kbps_max  REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, server_id)
) WITHOUT ROWID;
CREATE INDEX servers_by_agent ON servers (account_id, agent_id);
CREATE INDEX servers_by_host ON servers (account_id, host_name);

-- A server's network interfaces, as last reported.
CREATE TABLE network_interfaces (
    account_id  TEXT NOT NULL,
    server_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    ip_address  TEXT NOT NULL,
    mac_address TEXT NOT NULL DEFAULT '',
    net_mask    TEXT NOT NULL DEFAULT '',
    family      TEXT NOT NULL DEFAULT 'IPv4',
    gateway     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, server_id, name, ip_address)
) WITHOUT ROWID;
-- Resolves connection endpoints to servers.
CREATE INDEX network_interfaces_by_ip ON network_interfaces (account_id, ip_address);

-- Processes (configuration items d-process-...), one per distinct
-- (server, name, path, command line).
CREATE TABLE processes (
    account_id   TEXT NOT NULL,
    process_id   TEXT NOT NULL,
    server_id    TEXT NOT NULL,
    agent_id     TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL,
    command_line TEXT NOT NULL DEFAULT '',
    path         TEXT NOT NULL DEFAULT '',
    is_system    INTEGER NOT NULL DEFAULT 0,
    created_ms   INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, process_id)
) WITHOUT ROWID;
CREATE INDEX processes_by_server ON processes (account_id, server_id);

-- Connections (ListConfigurations CONNECTION items), aggregated per distinct
-- (source IP, destination IP, destination port, protocol, processes); the
-- server columns are '' when an endpoint is not a known server.
CREATE TABLE connections (
    account_id             TEXT NOT NULL,
    connection_id          TEXT NOT NULL,
    source_server_id       TEXT NOT NULL DEFAULT '',
    destination_server_id  TEXT NOT NULL DEFAULT '',
    source_ip              TEXT NOT NULL,
    destination_ip         TEXT NOT NULL,
    destination_port       INTEGER NOT NULL,
    ip_version             TEXT NOT NULL DEFAULT 'IPv4',
    transport_protocol     TEXT NOT NULL DEFAULT 'tcp',
    source_process_id      TEXT NOT NULL DEFAULT '',
    destination_process_id TEXT NOT NULL DEFAULT '',
    occurrence             INTEGER NOT NULL DEFAULT 0,
    first_ms               INTEGER NOT NULL,
    latest_ms              INTEGER NOT NULL,
    PRIMARY KEY (account_id, connection_id)
) WITHOUT ROWID;
CREATE INDEX connections_by_source ON connections (account_id, source_server_id);
CREATE INDEX connections_by_destination ON connections (account_id, destination_server_id);

-- Time series read by agent exports, one row per agent report.
CREATE TABLE perf_samples (
    account_id      TEXT NOT NULL,
    agent_id        TEXT NOT NULL,
    ts_ms           INTEGER NOT NULL,
    disk_read_kbps  REAL NOT NULL,
    disk_write_kbps REAL NOT NULL,
    disk_read_ops   REAL NOT NULL,
    disk_write_ops  REAL NOT NULL,
    net_read_kbps   REAL NOT NULL,
    net_write_kbps  REAL NOT NULL,
    num_logical     INTEGER NOT NULL,
    num_cores       INTEGER NOT NULL,
    num_cpus        INTEGER NOT NULL,
    num_disks       INTEGER NOT NULL,
    num_nics        INTEGER NOT NULL,
    cpu_pct         REAL NOT NULL,
    disk_size_gb    REAL NOT NULL,
    disk_free_gb    REAL NOT NULL,
    total_ram_mb    REAL NOT NULL,
    free_ram_mb     REAL NOT NULL,
    PRIMARY KEY (account_id, agent_id, ts_ms)
) WITHOUT ROWID;

-- OS and network interface facts per report (osInfo.csv, networkInterface.csv).
CREATE TABLE system_observations (
    account_id TEXT NOT NULL,
    agent_id   TEXT NOT NULL,
    ts_ms      INTEGER NOT NULL,
    os_name    TEXT NOT NULL DEFAULT '',
    os_version TEXT NOT NULL DEFAULT '',
    cpu_type   TEXT NOT NULL DEFAULT '',
    host_name  TEXT NOT NULL DEFAULT '',
    hypervisor TEXT NOT NULL DEFAULT '',
    nics       TEXT NOT NULL DEFAULT '[]', -- JSON of agentdata.NetworkInterface
    PRIMARY KEY (account_id, agent_id, ts_ms)
) WITHOUT ROWID;

-- Processes seen per report (process.csv).
CREATE TABLE process_observations (
    account_id   TEXT NOT NULL,
    agent_id     TEXT NOT NULL,
    ts_ms        INTEGER NOT NULL,
    seq          INTEGER NOT NULL, -- position in the report
    pid          INTEGER NOT NULL,
    is_system    INTEGER NOT NULL DEFAULT 0,
    name         TEXT NOT NULL,
    command_line TEXT NOT NULL DEFAULT '',
    path         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, agent_id, ts_ms, seq)
) WITHOUT ROWID;

-- Connections seen per report (sourceProcessConnection.csv for outbound,
-- destinationProcessConnection.csv for inbound).
CREATE TABLE connection_observations (
    account_id         TEXT NOT NULL,
    agent_id           TEXT NOT NULL,
    ts_ms              INTEGER NOT NULL,
    seq                INTEGER NOT NULL,
    direction          TEXT NOT NULL, -- outbound or inbound
    source_ip          TEXT NOT NULL,
    source_port        INTEGER NOT NULL DEFAULT 0,
    destination_ip     TEXT NOT NULL,
    destination_port   INTEGER NOT NULL,
    ip_version         TEXT NOT NULL DEFAULT 'IPv4',
    transport_protocol TEXT NOT NULL DEFAULT 'tcp',
    pid                INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, agent_id, ts_ms, seq)
) WITHOUT ROWID;

-- Applications (d-application-...) and their servers; tags on configuration items.
CREATE TABLE applications (
    account_id     TEXT NOT NULL,
    application_id TEXT NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    wave           TEXT NOT NULL DEFAULT '',
    created_ms     INTEGER NOT NULL,
    updated_ms     INTEGER NOT NULL,
    PRIMARY KEY (account_id, application_id)
) WITHOUT ROWID;

CREATE TABLE application_servers (
    account_id     TEXT NOT NULL,
    application_id TEXT NOT NULL,
    server_id      TEXT NOT NULL,
    PRIMARY KEY (account_id, application_id, server_id)
) WITHOUT ROWID;
CREATE INDEX application_servers_by_server ON application_servers (account_id, server_id);

CREATE TABLE tags (
    account_id       TEXT NOT NULL,
    configuration_id TEXT NOT NULL,
    key              TEXT NOT NULL,
    value            TEXT NOT NULL,
    created_ms       INTEGER NOT NULL,
    PRIMARY KEY (account_id, configuration_id, key, value)
) WITHOUT ROWID;
CREATE INDEX tags_by_key ON tags (account_id, key);
