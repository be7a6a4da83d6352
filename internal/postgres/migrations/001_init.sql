-- poseidon's schema on PostgreSQL: the tables of internal/sqlite's
-- migrations 001 to 008, in their final form.
--
-- Conventions:
--  * Times are epoch milliseconds (bigint) of the virtual clock or of the
--    agent's report, as in SQLite, so both stores compare and page the same
--    integers.
--  * Every text column is COLLATE "C": ordering and keyset comparisons are
--    bytewise, as SQLite's BINARY collation, whatever the database's locale.
--  * JSON that SQLite keeps as text is jsonb here; SQLite's 0/1 flags are
--    boolean.
--  * Every table of account state is keyed by account first, and each list
--    a page is read from has an index in its keyset order, so that a page
--    costs the same at any depth.

-- Settings that outlive a reset, such as the server secrets.
CREATE TABLE settings (
    key   text COLLATE "C" PRIMARY KEY,
    value bytea NOT NULL
);

-- The virtual clock's offset, shared by every replica; one row at most.
CREATE TABLE virtual_clock (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    offset_ms bigint NOT NULL
);

-- Accounts seen by the server; the default home region is applied once, on first sight.
CREATE TABLE accounts (
    account_id    text COLLATE "C" PRIMARY KEY,
    first_seen_ms bigint NOT NULL
);

-- Migration Hub home region controls: at most one per account.
CREATE TABLE home_region_controls (
    control_id        text COLLATE "C" PRIMARY KEY,
    account_id        text COLLATE "C" NOT NULL UNIQUE,
    home_region       text COLLATE "C" NOT NULL,
    requested_time_ms bigint NOT NULL
);

-- Export tasks. The table is also the worker's durable queue: an IN_PROGRESS
-- row whose ready_at has passed and whose lease is free is claimable.
-- ec2_preferences is discovery.EC2Preferences of an EC2 export, NULL for
-- the other kinds.
CREATE TABLE export_tasks (
    export_id          text COLLATE "C" PRIMARY KEY,
    account_id         text COLLATE "C" NOT NULL,
    kind               text COLLATE "C" NOT NULL,
    operation          text COLLATE "C" NOT NULL,
    agent_id           text COLLATE "C" NOT NULL DEFAULT '',
    status             text COLLATE "C" NOT NULL,
    status_message     text COLLATE "C" NOT NULL,
    request_time_ms    bigint NOT NULL,
    requested_start_ms bigint,
    requested_end_ms   bigint,
    ec2_preferences    jsonb,
    is_truncated       boolean NOT NULL DEFAULT false,
    ready_at_ms        bigint NOT NULL,
    finished_at_ms     bigint,
    file_size          bigint NOT NULL DEFAULT 0,
    expired            boolean NOT NULL DEFAULT false,
    attempts           integer NOT NULL DEFAULT 0,
    lease_owner        text COLLATE "C",
    lease_until_ms     bigint
);
CREATE INDEX export_tasks_by_account ON export_tasks (account_id, request_time_ms DESC, export_id DESC);
CREATE INDEX export_tasks_by_agent ON export_tasks (account_id, agent_id, request_time_ms DESC, export_id DESC);
CREATE INDEX export_tasks_queue ON export_tasks (request_time_ms, export_id) WHERE status = 'IN_PROGRESS';
CREATE INDEX export_tasks_retention ON export_tasks (finished_at_ms) WHERE status = 'SUCCEEDED' AND NOT expired;

-- Discovery agents and collectors (DescribeAgents' AgentInfo).
CREATE TABLE agents (
    account_id          text COLLATE "C" NOT NULL,
    agent_id            text COLLATE "C" NOT NULL,
    agent_type          text COLLATE "C" NOT NULL DEFAULT 'EC2',
    connector_id        text COLLATE "C" NOT NULL DEFAULT '',
    host_name           text COLLATE "C" NOT NULL DEFAULT '',
    version             text COLLATE "C" NOT NULL DEFAULT '',
    health              text COLLATE "C" NOT NULL DEFAULT 'HEALTHY',
    collection_status   text COLLATE "C" NOT NULL DEFAULT 'STARTED', -- STARTED or STOPPED
    network_info        jsonb NOT NULL DEFAULT '[]',                   -- [{"ipAddress","macAddress"}]
    registered_ms       bigint NOT NULL,
    last_health_ping_ms bigint NOT NULL,
    first_data_ms       bigint,                                        -- earliest sample time
    last_data_ms        bigint,                                        -- latest sample time
    server_id           text COLLATE "C" NOT NULL DEFAULT '',         -- the agent's server
    PRIMARY KEY (account_id, agent_id)
);

-- Report IDs already taken in: intake is idempotent on them.
CREATE TABLE agent_reports (
    account_id  text COLLATE "C" NOT NULL,
    report_id   text COLLATE "C" NOT NULL,
    agent_id    text COLLATE "C" NOT NULL,
    ts_ms       bigint NOT NULL,
    received_ms bigint NOT NULL,
    PRIMARY KEY (account_id, report_id)
);

-- Servers (configuration items d-server-...). Agent-discovered servers carry
-- running performance aggregates over all their samples.
CREATE TABLE servers (
    account_id      text COLLATE "C" NOT NULL,
    server_id       text COLLATE "C" NOT NULL,
    agent_id        text COLLATE "C" NOT NULL DEFAULT '',      -- '' for imported servers
    source          text COLLATE "C" NOT NULL DEFAULT 'Agent', -- Agent or Import
    host_name       text COLLATE "C" NOT NULL DEFAULT '',
    os_name         text COLLATE "C" NOT NULL DEFAULT '',
    os_version      text COLLATE "C" NOT NULL DEFAULT '',
    cpu_type        text COLLATE "C" NOT NULL DEFAULT '',
    hypervisor      text COLLATE "C" NOT NULL DEFAULT '',
    server_type     text COLLATE "C" NOT NULL DEFAULT 'OTHER',
    num_cpus        bigint NOT NULL DEFAULT 0,
    num_cores       bigint NOT NULL DEFAULT 0,
    num_logical     bigint NOT NULL DEFAULT 0,
    total_ram_mb    double precision NOT NULL DEFAULT 0,
    total_disk_gb   double precision NOT NULL DEFAULT 0,
    num_disks       bigint NOT NULL DEFAULT 0,
    num_nics        bigint NOT NULL DEFAULT 0,
    vm_moref_id     text COLLATE "C" NOT NULL DEFAULT '',
    vm_name         text COLLATE "C" NOT NULL DEFAULT '',
    vcenter_id      text COLLATE "C" NOT NULL DEFAULT '',
    vcenter_name    text COLLATE "C" NOT NULL DEFAULT '',
    vm_folder_path  text COLLATE "C" NOT NULL DEFAULT '',
    vm_host_id      text COLLATE "C" NOT NULL DEFAULT '',
    external_id     text COLLATE "C" NOT NULL DEFAULT '',
    created_ms      bigint NOT NULL,
    updated_ms      bigint NOT NULL,
    perf_samples    bigint NOT NULL DEFAULT 0,
    cpu_sum         double precision NOT NULL DEFAULT 0,
    cpu_max         double precision NOT NULL DEFAULT 0,
    free_ram_sum    double precision NOT NULL DEFAULT 0, -- MB
    free_ram_min    double precision,                    -- MB
    disk_free_gb    double precision NOT NULL DEFAULT 0, -- latest sample
    disk_read_kbps_sum  double precision NOT NULL DEFAULT 0,
    disk_read_kbps_max  double precision NOT NULL DEFAULT 0,
    disk_write_kbps_sum double precision NOT NULL DEFAULT 0,
    disk_write_kbps_max double precision NOT NULL DEFAULT 0,
    disk_read_ops_sum   double precision NOT NULL DEFAULT 0,
    disk_read_ops_max   double precision NOT NULL DEFAULT 0,
    disk_write_ops_sum  double precision NOT NULL DEFAULT 0,
    disk_write_ops_max  double precision NOT NULL DEFAULT 0,
    net_read_kbps_sum   double precision NOT NULL DEFAULT 0,
    net_read_kbps_max   double precision NOT NULL DEFAULT 0,
    net_write_kbps_sum  double precision NOT NULL DEFAULT 0,
    net_write_kbps_max  double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, server_id)
);
CREATE INDEX servers_by_agent ON servers (account_id, agent_id);
CREATE INDEX servers_by_external_id ON servers (account_id, external_id);
-- The sortable fields of ListConfigurations, so that a keyset page sorted
-- by one of them is an index range scan at any depth.
CREATE INDEX servers_by_host ON servers (account_id, host_name, server_id);
CREATE INDEX servers_by_os_name ON servers (account_id, os_name, server_id);
CREATE INDEX servers_by_os_version ON servers (account_id, os_version, server_id);

-- A server's network interfaces, as last reported.
CREATE TABLE network_interfaces (
    account_id  text COLLATE "C" NOT NULL,
    server_id   text COLLATE "C" NOT NULL,
    name        text COLLATE "C" NOT NULL,
    ip_address  text COLLATE "C" NOT NULL,
    mac_address text COLLATE "C" NOT NULL DEFAULT '',
    net_mask    text COLLATE "C" NOT NULL DEFAULT '',
    family      text COLLATE "C" NOT NULL DEFAULT 'IPv4',
    gateway     text COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, server_id, name, ip_address)
);
-- Resolves connection endpoints to servers.
CREATE INDEX network_interfaces_by_ip ON network_interfaces (account_id, ip_address);

-- Processes (configuration items d-process-...), one per distinct
-- (server, name, path, command line).
CREATE TABLE processes (
    account_id   text COLLATE "C" NOT NULL,
    process_id   text COLLATE "C" NOT NULL,
    server_id    text COLLATE "C" NOT NULL,
    agent_id     text COLLATE "C" NOT NULL DEFAULT '',
    name         text COLLATE "C" NOT NULL,
    command_line text COLLATE "C" NOT NULL DEFAULT '',
    path         text COLLATE "C" NOT NULL DEFAULT '',
    is_system    boolean NOT NULL DEFAULT false,
    created_ms   bigint NOT NULL,
    last_seen_ms bigint NOT NULL,
    PRIMARY KEY (account_id, process_id)
);
CREATE INDEX processes_by_server ON processes (account_id, server_id);
CREATE INDEX processes_by_name ON processes (account_id, name, process_id);

-- Connections (ListConfigurations CONNECTION items), aggregated per distinct
-- (source IP, destination IP, destination port, protocol, processes); the
-- server columns are '' when an endpoint is not a known server.
CREATE TABLE connections (
    account_id             text COLLATE "C" NOT NULL,
    connection_id          text COLLATE "C" NOT NULL,
    source_server_id       text COLLATE "C" NOT NULL DEFAULT '',
    destination_server_id  text COLLATE "C" NOT NULL DEFAULT '',
    source_ip              text COLLATE "C" NOT NULL,
    destination_ip         text COLLATE "C" NOT NULL,
    destination_port       bigint NOT NULL,
    ip_version             text COLLATE "C" NOT NULL DEFAULT 'IPv4',
    transport_protocol     text COLLATE "C" NOT NULL DEFAULT 'tcp',
    source_process_id      text COLLATE "C" NOT NULL DEFAULT '',
    destination_process_id text COLLATE "C" NOT NULL DEFAULT '',
    occurrence             bigint NOT NULL DEFAULT 0,
    first_ms               bigint NOT NULL,
    latest_ms              bigint NOT NULL,
    PRIMARY KEY (account_id, connection_id)
);
CREATE INDEX connections_by_source ON connections (account_id, source_server_id);
CREATE INDEX connections_by_destination ON connections (account_id, destination_server_id);
-- Connection endpoints by IP: when a server registers an IP, intake fills in
-- the server of connections seen before, whose endpoint was then unknown.
CREATE INDEX connections_by_source_ip ON connections (account_id, source_ip);
CREATE INDEX connections_by_destination_ip ON connections (account_id, destination_ip);

-- Time series read by agent exports, one row per agent report. The primary
-- keys lead with (account, agent, time), so an agent export reads only its
-- window.
CREATE TABLE perf_samples (
    account_id      text COLLATE "C" NOT NULL,
    agent_id        text COLLATE "C" NOT NULL,
    ts_ms           bigint NOT NULL,
    disk_read_kbps  double precision NOT NULL,
    disk_write_kbps double precision NOT NULL,
    disk_read_ops   double precision NOT NULL,
    disk_write_ops  double precision NOT NULL,
    net_read_kbps   double precision NOT NULL,
    net_write_kbps  double precision NOT NULL,
    num_logical     bigint NOT NULL,
    num_cores       bigint NOT NULL,
    num_cpus        bigint NOT NULL,
    num_disks       bigint NOT NULL,
    num_nics        bigint NOT NULL,
    cpu_pct         double precision NOT NULL,
    disk_size_gb    double precision NOT NULL,
    disk_free_gb    double precision NOT NULL,
    total_ram_mb    double precision NOT NULL,
    free_ram_mb     double precision NOT NULL,
    PRIMARY KEY (account_id, agent_id, ts_ms)
);

-- OS and network interface facts per report (osInfo.csv, networkInterface.csv).
CREATE TABLE system_observations (
    account_id text COLLATE "C" NOT NULL,
    agent_id   text COLLATE "C" NOT NULL,
    ts_ms      bigint NOT NULL,
    os_name    text COLLATE "C" NOT NULL DEFAULT '',
    os_version text COLLATE "C" NOT NULL DEFAULT '',
    cpu_type   text COLLATE "C" NOT NULL DEFAULT '',
    host_name  text COLLATE "C" NOT NULL DEFAULT '',
    hypervisor text COLLATE "C" NOT NULL DEFAULT '',
    nics       jsonb NOT NULL DEFAULT '[]', -- agentdata.NetworkInterface values
    PRIMARY KEY (account_id, agent_id, ts_ms)
);

-- Processes seen per report (process.csv).
CREATE TABLE process_observations (
    account_id   text COLLATE "C" NOT NULL,
    agent_id     text COLLATE "C" NOT NULL,
    ts_ms        bigint NOT NULL,
    seq          integer NOT NULL, -- position in the report
    pid          bigint NOT NULL,
    is_system    boolean NOT NULL DEFAULT false,
    name         text COLLATE "C" NOT NULL,
    command_line text COLLATE "C" NOT NULL DEFAULT '',
    path         text COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, agent_id, ts_ms, seq)
);

-- Connections seen per report (sourceProcessConnection.csv for outbound,
-- destinationProcessConnection.csv for inbound).
CREATE TABLE connection_observations (
    account_id         text COLLATE "C" NOT NULL,
    agent_id           text COLLATE "C" NOT NULL,
    ts_ms              bigint NOT NULL,
    seq                integer NOT NULL,
    direction          text COLLATE "C" NOT NULL, -- outbound or inbound
    source_ip          text COLLATE "C" NOT NULL,
    source_port        bigint NOT NULL DEFAULT 0,
    destination_ip     text COLLATE "C" NOT NULL,
    destination_port   bigint NOT NULL,
    ip_version         text COLLATE "C" NOT NULL DEFAULT 'IPv4',
    transport_protocol text COLLATE "C" NOT NULL DEFAULT 'tcp',
    pid                bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, agent_id, ts_ms, seq)
);

-- Applications (d-application-...) and their servers; tags on configuration items.
CREATE TABLE applications (
    account_id     text COLLATE "C" NOT NULL,
    application_id text COLLATE "C" NOT NULL,
    name           text COLLATE "C" NOT NULL,
    description    text COLLATE "C" NOT NULL DEFAULT '',
    wave           text COLLATE "C" NOT NULL DEFAULT '',
    created_ms     bigint NOT NULL,
    updated_ms     bigint NOT NULL,
    PRIMARY KEY (account_id, application_id)
);

CREATE TABLE application_servers (
    account_id     text COLLATE "C" NOT NULL,
    application_id text COLLATE "C" NOT NULL,
    server_id      text COLLATE "C" NOT NULL,
    PRIMARY KEY (account_id, application_id, server_id)
);
CREATE INDEX application_servers_by_server ON application_servers (account_id, server_id);

CREATE TABLE tags (
    account_id       text COLLATE "C" NOT NULL,
    configuration_id text COLLATE "C" NOT NULL,
    key              text COLLATE "C" NOT NULL,
    value            text COLLATE "C" NOT NULL,
    created_ms       bigint NOT NULL,
    PRIMARY KEY (account_id, configuration_id, key, value)
);
CREATE INDEX tags_by_key ON tags (account_id, key);

-- StartBatchDeleteConfigurationTask tasks; a task is pending until its
-- status is COMPLETED or FAILED.
CREATE TABLE batch_delete_tasks (
    account_id         text COLLATE "C" NOT NULL,
    task_id            text COLLATE "C" NOT NULL,
    configuration_type text COLLATE "C" NOT NULL,
    status             text COLLATE "C" NOT NULL,
    start_ms           bigint NOT NULL,
    end_ms             bigint,
    requested          jsonb NOT NULL DEFAULT '[]', -- ["id"]
    deleted            jsonb NOT NULL DEFAULT '[]', -- ["id"]
    failed             jsonb NOT NULL DEFAULT '[]', -- [{"id","code","message"}]
    warnings           jsonb NOT NULL DEFAULT '[]', -- [{"id","code","text"}]
    seq                bigint GENERATED BY DEFAULT AS IDENTITY, -- insertion order, for the runner
    PRIMARY KEY (account_id, task_id)
);
CREATE INDEX batch_delete_tasks_pending ON batch_delete_tasks (status, seq);

-- Continuous exports (StartContinuousExport). The status is derived from
-- start_ms/stop_ms and the virtual clock (see internal/continuous); a row
-- with stop_ms NULL is running, and an account has at most one.
CREATE TABLE continuous_exports (
    export_id  text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL,
    s3_bucket  text COLLATE "C" NOT NULL,
    start_ms   bigint NOT NULL,
    stop_ms    bigint
);
CREATE UNIQUE INDEX continuous_exports_running ON continuous_exports (account_id) WHERE stop_ms IS NULL;
CREATE INDEX continuous_exports_by_account ON continuous_exports (account_id, start_ms DESC, export_id DESC);

-- Import tasks (StartImportTask / DescribeImportTasks / BatchDeleteImportData).
CREATE TABLE import_tasks (
    account_id     text COLLATE "C" NOT NULL,
    task_id        text COLLATE "C" NOT NULL,
    client_token   text COLLATE "C" NOT NULL DEFAULT '',
    name           text COLLATE "C" NOT NULL,
    url            text COLLATE "C" NOT NULL,
    status         text COLLATE "C" NOT NULL,
    request_ms     bigint NOT NULL,
    completion_ms  bigint NOT NULL DEFAULT 0,
    deleted_ms     bigint NOT NULL DEFAULT 0,
    server_success bigint NOT NULL DEFAULT 0,
    server_failure bigint NOT NULL DEFAULT 0,
    app_success    bigint NOT NULL DEFAULT 0,
    app_failure    bigint NOT NULL DEFAULT 0,
    has_errors_zip boolean NOT NULL DEFAULT false,
    hidden         boolean NOT NULL DEFAULT false,
    PRIMARY KEY (account_id, task_id)
);
CREATE UNIQUE INDEX import_tasks_by_token ON import_tasks (account_id, client_token) WHERE client_token <> '';
CREATE INDEX import_tasks_pending ON import_tasks (status);

-- Which servers each import task created or matched.
CREATE TABLE import_records (
    account_id text COLLATE "C" NOT NULL,
    task_id    text COLLATE "C" NOT NULL,
    server_id  text COLLATE "C" NOT NULL,
    created    boolean NOT NULL,
    PRIMARY KEY (account_id, task_id, server_id)
);
