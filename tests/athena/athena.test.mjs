// AWS's predefined Athena queries on poseidon's continuous export (issue 17).
//
// Usage: node athena.test.mjs /path/to/poseidon
//
// It starts poseidon (SQLite, a fresh data directory), starts a continuous
// export, seeds a fleet (poseidon seed: applications whose tiers connect to
// each other) in two rounds, each delivered by a buffering interval on the
// virtual clock, stops the export, sends more data (which must not be
// written), then loads the bucket into DuckDB with the bucket's own
// catalogue/duckdb.sql and runs every predefined query of
// shared/spec/continuous-export-athena.md §3 and §4.1 (queries/, verbatim)
// in the guide's order. Beyond "it runs", the results are checked against
// the API: the servers with agents are DescribeAgents', a server's outbound
// connections are its ListServerNeighbors edges (same edges, same counts, as
// the API answered when the export stopped), the outbound query's host pairs
// are such edges, and the performance query's per-agent averages (the query
// verbatim but for its final "limit 10", wrapped in an AVG ... GROUP BY) are
// those of the agent export (StartExportTask) of the same window.
//
// service-names-port-numbers.csv is an excerpt of IANA's registry (its
// header, the fleet's ports in tcp and udp, a port range and a blank row, so
// that TRY_CAST meets what it meets in the real file): the network reaches
// no iana.org. The IANA table is made with the spec's DuckDB equivalent of
// the guide's Hive DDL (queries/3.7-...duckdb.sql); the Hive DDL itself does
// not run in DuckDB and is kept for reference.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.argv[2];
if (!bin) {
  console.error('usage: node athena.test.mjs /path/to/poseidon');
  process.exit(2);
}
const ACCOUNT = '111122223333';
const SERVERS = 15;
const failures = [];
const check = (ok, what) => {
  if (!ok) {
    failures.push(what);
    console.error('  FAIL:', what);
  }
};

const data = mkdtempSync(join(tmpdir(), 'poseidon-athena-'));
const server = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--data', data, '--no-limits', '--log-level', 'warn'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
const cleanup = () => {
  server.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
};
process.on('exit', cleanup);
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (b) => {
    out += b;
    const m = out.match(/listening on (http:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`poseidon exited (${code}) before listening`)));
});

// api calls an ADS operation as ACCOUNT (open mode trusts the credential scope).
async function api(op, body = {}) {
  const res = await fetch(url + '/', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AWSPoseidonService_V2015_11_01.' + op,
      Authorization: `AWS4-HMAC-SHA256 Credential=${ACCOUNT}/20260101/us-west-2/discovery/aws4_request, SignedHeaders=host;x-amz-target, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${op}: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function pages(op, body, key) {
  const out = [];
  let nextToken;
  do {
    const page = await api(op, nextToken ? { ...body, nextToken } : body);
    out.push(...page[key]);
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

async function clock(body) {
  const res = await fetch(url + '/_poseidon/clock', { method: body ? 'POST' : 'GET', body: body && JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`clock: ${res.status} ${await res.text()}`);
  const c = await res.json();
  return new Date(c.now ?? c.time ?? c.epochSeconds * 1000);
}

const show = (v) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? Number(x) : x));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, cond) {
  for (let i = 0; i < 400; i++) {
    if (await cond()) return;
    await sleep(50);
  }
  throw new Error(`${what}: not within 20s`);
}

function seed(end, hours) {
  execFileSync(bin, ['seed', '--endpoint', url, '--servers', String(SERVERS), '--hours', String(hours), '--seed', '17',
    '--end', end.toISOString(), '-q'], { env: { ...process.env, AWS_ACCESS_KEY_ID: ACCOUNT, AWS_SECRET_ACCESS_KEY: 'x' }, stdio: ['ignore', 'ignore', 'inherit'] });
}

// buffered counts the bucket's buffers not yet delivered.
const bufferDir = (bucket) => join(data, 'continuous-buffer', bucket);
const buffered = (bucket) => (existsSync(bufferDir(bucket)) ? readdirSync(bufferDir(bucket)).length : 0);

// --- The continuous export.
const start = await api('StartContinuousExport');
const bucket = start.s3Bucket;
check(/^aws-application-discovery-service-[0-9a-f]+$/.test(bucket), `s3Bucket ${bucket}`);
check(start.schemaStorageConfig?.databaseName === 'application_discovery_service_database', 'schemaStorageConfig.databaseName');
await clock({ advanceSeconds: 11 });
await until('ACTIVE', async () => (await api('DescribeContinuousExports')).descriptions[0].status === 'ACTIVE');

const now = await clock();
const end1 = new Date(Math.floor(now.getTime() / 900000) * 900000 - 3600000); // an hour ago, on a 15-minute mark
const end2 = new Date(end1.getTime() + 3600000);
console.log('seeding round 1');
seed(end1, 1);
check(buffered(bucket) === 1, 'round 1 is buffered, not yet delivered');
await clock({ advanceSeconds: 300 });
await until('round 1 delivered', async () => buffered(bucket) === 0);
console.log('seeding round 2');
seed(end2, 1);
await clock({ advanceSeconds: 300 });
await until('round 2 delivered', async () => buffered(bucket) === 0);

// Stop; what is sent afterwards is not written.
await api('StopContinuousExport', { exportId: start.exportId });
check((await api('DescribeContinuousExports')).descriptions[0].status === 'STOP_IN_PROGRESS', 'STOP_IN_PROGRESS after the stop');
await clock({ advanceSeconds: 11 });
await until('INACTIVE', async () => (await api('DescribeContinuousExports')).descriptions[0].status === 'INACTIVE');
// The API's view of the fleet the export covers, before more data arrives.
const agents = await pages('DescribeAgents', {}, 'agentsInfo');
const servers = await pages('ListConfigurations', { configurationType: 'SERVER' }, 'configurations');
const serverOf = new Map(servers.map((s) => [s['server.agentId'], s['server.configurationId']]));
const neighborsOf = new Map();
for (const a of agents) {
  a.configurationId = serverOf.get(a.agentId);
  neighborsOf.set(a.agentId, await pages('ListServerNeighbors', { configurationId: a.configurationId, portInformationNeeded: true }, 'neighbors'));
}
console.log('seeding after the stop');
seed(new Date(end2.getTime() + 2 * 3600000), 1);
await clock({ advanceSeconds: 600 });
check(buffered(bucket) === 0, 'nothing buffered after the stop');

// --- DuckDB over the bucket, with the bucket's own catalogue.
const root = join(data, 'continuous-exports', bucket);
const db = await DuckDBInstance.create(':memory:');
const duck = await db.connect();
const rows = async (sql) => (await duck.runAndReadAll(sql)).getRowObjectsJS();
await duck.run(`SET file_search_path = '${root},${here}'`);
await duck.run(readFileSync(join(root, 'catalogue', 'duckdb.sql'), 'utf8'));

const counts = {};
for (const t of ['os_info_agent', 'network_interface_agent', 'sys_performance_agent', 'processes_agent', 'inbound_connection_agent', 'outbound_connection_agent', 'id_mapping_agent']) {
  counts[t] = Number((await rows(`SELECT count(*) AS n FROM ${t}`))[0].n);
  check(counts[t] > 0, `${t} has rows`);
}
console.log('rows by table', counts);
// Two rounds of one hour (4 reports) per server, nothing of the third.
check(counts.os_info_agent === SERVERS * 8, `os_info_agent rows ${counts.os_info_agent}, want ${SERVERS * 8}`);
const files = (await rows(`SELECT count(*) AS n FROM glob('os_info_agent/*/*/*/*/*.parquet')`))[0].n;
check(Number(files) >= 2, `os_info_agent has a file per delivery (${files})`);

// Every predefined query, verbatim, in the guide's order (§3 table, then §4.1).
const order = [
  '3.0-example-network-interfaces.sql', '3.1-hostname_ip_helper.sql', '3.2-servers-with-or-without-agents.sql',
  '3.3-system-performance.sql', '3.7-iana_service_ports_import.duckdb.sql',
  '3.4a-valid_outbound_ips_helper.sql', '3.4b-outbound_query_helper.sql', '3.4c-outbound-communication.sql',
  '3.5a-valid_inbound_ips_helper.sql', '3.5b-inbound_query_helper.sql', '3.5c-inbound-communication.sql',
  '3.6-running-software-from-port.sql', '4.1a-2018-network-communication-by-port.sql', '4.1b-2018-cost-analysis.sql',
];
const results = {};
for (const name of order) {
  const sql = readFileSync(join(here, 'queries', name), 'utf8');
  try {
    results[name] = await rows(sql);
    console.log(`ran ${name}: ${results[name].length} rows`);
  } catch (e) {
    check(false, `${name}: ${e.message}`);
    results[name] = [];
  }
}
for (const name of ['3.0-example-network-interfaces.sql', '3.2-servers-with-or-without-agents.sql', '3.3-system-performance.sql',
  '3.4c-outbound-communication.sql', '3.5c-inbound-communication.sql', '3.6-running-software-from-port.sql',
  '4.1a-2018-network-communication-by-port.sql', '4.1b-2018-cost-analysis.sql']) {
  check(results[name].length > 0, `${name} returns rows`);
}

// --- Servers with agents equal DescribeAgents.
const agentIPs = new Map(); // ip -> agent
for (const a of agents) for (const n of a.agentNetworkInfoList ?? []) agentIPs.set(n.ipAddress, a);
check(agents.length === SERVERS, `DescribeAgents: ${agents.length} agents, want ${SERVERS}`);
const helper = results['3.1-hostname_ip_helper.sql'] ?? (await rows('SELECT * FROM hostname_ip_helper'));
const helperAgents = new Set((await rows('SELECT DISTINCT agent_id FROM hostname_ip_helper')).map((r) => r.agent_id));
check(agents.every((a) => helperAgents.has(a.agentId)) && helperAgents.size === agents.length, 'hostname_ip_helper agents = DescribeAgents');
for (const r of await rows('SELECT * FROM hostname_ip_helper')) {
  const a = agents.find((x) => x.agentId === r.agent_id);
  check(a && a.hostName === r.host_name && (a.agentNetworkInfoList ?? []).some((n) => n.ipAddress === r.ip_address),
    `hostname_ip_helper row ${show(r)} agrees with DescribeAgents`);
}
let yes = 0, no = 0;
for (const r of results['3.2-servers-with-or-without-agents.sql']) {
  const ip = r['IP Address'];
  const want = agentIPs.has(ip) ? 'yes' : 'no';
  want === 'yes' ? yes++ : no++;
  check(r.agent_running === want, `3.2: ${ip} agent_running ${r.agent_running}, DescribeAgents says ${want}`);
}
check(yes > 0 && no > 0, `3.2 has servers with (${yes}) and without (${no}) agents`);

// --- A server's outbound connections match ListServerNeighbors (as the API
// answered when the export stopped): the same edges, each counted as often.
// id_mapping_agent maps agents to their servers' configuration IDs (ListConfigurations).
const ids = new Map((await rows('SELECT DISTINCT agent_id, server_id FROM id_mapping_agent')).map((r) => [r.agent_id, r.server_id]));
check(agents.every((a) => a.configurationId && ids.get(a.agentId) === a.configurationId), 'id_mapping_agent server_id = the agent\'s server configurationId');
const outEdges = await rows(`
  SELECT m1.server_id AS src, m2.server_id AS dst, o.destination_port AS port, o.transport_protocol AS proto, count(*) AS n
  FROM outbound_connection_agent o
  JOIN (SELECT DISTINCT agent_id, server_id FROM id_mapping_agent) m1 ON m1.agent_id = o.agent_id
  JOIN (SELECT DISTINCT agent_id, ip_address FROM network_interface_agent) nic ON nic.ip_address = o.destination_ip
  JOIN (SELECT DISTINCT agent_id, server_id FROM id_mapping_agent) m2 ON m2.agent_id = nic.agent_id
  WHERE m2.server_id <> m1.server_id
  GROUP BY ALL ORDER BY ALL`);
let compared = 0;
for (const a of agents) {
  const sid = a.configurationId;
  const fromParquet = outEdges.filter((e) => e.src === sid).map((e) => `${e.dst} ${e.port} ${e.proto} x${e.n}`).sort();
  const neighbors = neighborsOf.get(a.agentId);
  const fromAPI = neighbors.filter((n) => n.sourceServerId === sid).map((n) => `${n.destinationServerId} ${n.destinationPort} ${n.transportProtocol} x${n.connectionsCount}`).sort();
  check(JSON.stringify(fromParquet) === JSON.stringify(fromAPI), `${sid} (${a.hostName}): outbound edges from Parquet ${JSON.stringify(fromParquet)} != ListServerNeighbors ${JSON.stringify(fromAPI)}`);
  if (fromAPI.length > 0) compared++;
}
check(compared > 0, 'some server has outbound neighbors');
// The outbound query's host pairs are ListServerNeighbors edges.
const hostServer = new Map(agents.map((a) => [a.hostName, a.configurationId]));
const edgeSet = new Set(outEdges.map((e) => `${e.src} ${e.dst} ${e.port}`));
let named = 0;
for (const r of results['3.4c-outbound-communication.sql']) {
  if (!r['Source Host Name'] || !r['Destination Host Name'] || r['Source Host Name'] === r['Destination Host Name']) continue;
  named++;
  const k = `${hostServer.get(r['Source Host Name'])} ${hostServer.get(r['Destination Host Name'])} ${r['Destination Communication Port']}`;
  check(edgeSet.has(k), `3.4c row ${show(r)} is a server edge`);
}
check(named > 0, '3.4c has rows between two servers with agents');

// --- The performance query's averages match the agent export of the window.
const perfQuery = readFileSync(join(here, 'queries', '3.3-system-performance.sql'), 'utf8').replace(/ limit 10;\s*$/, '');
check(!perfQuery.includes('limit 10'), '3.3 without its limit');
const perfAvg = await rows(`SELECT agent_id, avg("CPU Percentage") AS cpu, avg("Free RAM (MB)") AS free_ram, avg("Used RAM (MB)") AS used_ram,
  avg("Disk Read IOPS") AS read_ops, avg("Network Reads (kbps)") AS net_read FROM (${perfQuery}) GROUP BY agent_id ORDER BY agent_id`);
const exportDir = mkdtempSync(join(tmpdir(), 'poseidon-athena-export-'));
for (const a of agents.slice(0, 3)) {
  const task = await api('StartExportTask', {
    filters: [{ name: 'agentIds', values: [a.agentId], condition: 'EQUALS' }],
    startTime: (end1.getTime() - 2 * 3600000) / 1000, endTime: (end2.getTime() + 1000) / 1000,
  });
  let info;
  await until('export ' + task.exportId, async () => {
    info = (await api('DescribeExportTasks', { exportIds: [task.exportId] })).exportsInfo[0];
    return info.exportStatus !== 'IN_PROGRESS';
  });
  check(info.exportStatus === 'SUCCEEDED', `agent export ${info.exportStatus} ${info.statusMessage}`);
  const zip = join(exportDir, a.agentId + '.zip');
  writeFileSync(zip, Buffer.from(await (await fetch(info.configurationsDownloadUrl)).arrayBuffer()));
  const dir = join(exportDir, a.agentId);
  execFileSync('python3', ['-m', 'zipfile', '-e', zip, dir]);
  const csv = readdirSync(dir).find((f) => f.endsWith('_systemPerformance.csv'));
  const want = (await rows(`SELECT avg("totalCpuUsagePct") AS cpu, avg("freeRAM(MB)") AS free_ram, avg("totalRAM(MB)" - "freeRAM(MB)") AS used_ram,
    avg("totalDiskReadOpsPerSecond") AS read_ops, avg("totalNetworkBytesReadPerSecond(Kbps)") AS net_read, count(*) AS n
    FROM read_csv('${join(dir, csv)}', header = true)`))[0];
  const got = perfAvg.find((r) => r.agent_id === a.agentId);
  check(Number(want.n) === 8, `${a.agentId}: the agent export has ${want.n} samples, want 8`);
  for (const k of ['cpu', 'free_ram', 'used_ram', 'read_ops', 'net_read']) {
    const ok = got && Math.abs(got[k] - want[k]) <= 1e-9 * Math.max(1, Math.abs(want[k]));
    check(ok, `${a.agentId}: average ${k} ${got?.[k]} from the performance query, ${want[k]} from the agent export`);
  }
  console.log(`${a.agentId}: performance averages agree with the agent export (${want.n} samples)`);
}
rmSync(exportDir, { recursive: true, force: true });

if (failures.length > 0) {
  console.error(`tests/athena: ${failures.length} failure(s)`);
  process.exit(1);
}
console.log('tests/athena: every predefined query ran; results agree with the API');
process.exit(0);
