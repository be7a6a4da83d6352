// A server: its facts (DescribeConfigurations), CPU, RAM, disk and network
// charts over time (GetServerUsage, drawn by uPlot), its processes and
// connections (ListConfigurations PROCESS and CONNECTION filtered by
// server) and its neighbors (ListServerNeighbors, named by
// DescribeConfigurations), each list read 100 rows at a time ("Show more").
import uPlot from '../vendor/uplot.js';
import { ads, consoleRead } from './api.js';
import { h, table, serverLink, fmtTime, fmtNum, errorBox } from './dom.js';
import { current } from './nav.js';

const windows = [['24 h', 1], ['7 days', 7], ['30 days', 30], ['90 days', 90]];
let windowDays = 7;

export async function renderServer(view, gen, id) {
  const desc = await ads('DescribeConfigurations', { configurationIds: [id] });
  if (!current(gen)) return;
  const s = (desc.configurations || [])[0];
  if (!s) {
    view.replaceChildren(h('h1', {}, 'Server not found'), h('p', { class: 'muted' }, 'This account has no server with that ID.'));
    return;
  }
  const charts = h('div', { class: 'charts', id: 'charts' });
  const chartNote = h('p', { class: 'muted', id: 'usage-note' });
  const picker = h('div', { class: 'toolbar' }, h('span', { class: 'muted' }, 'Window:'), windows.map(([label, days]) =>
    h('button', { type: 'button', class: days === windowDays ? '' : 'secondary', onclick: () => { windowDays = days; renderServer(view, gen, id); } }, label)));
  const processes = h('div', { id: 'processes' }, h('p', { class: 'muted' }, 'Loading…'));
  const outbound = h('div', { id: 'outbound' }, h('p', { class: 'muted' }, 'Loading…'));
  const inbound = h('div', { id: 'inbound' }, h('p', { class: 'muted' }, 'Loading…'));
  const neighbors = h('div', { id: 'neighbors' }, h('p', { class: 'muted' }, 'Loading…'));
  const ram = Number(s['server.performance.totalRAMInKB']) / 1024;
  view.replaceChildren(
    h('h1', {}, s['server.hostName'] || id),
    h('div', { class: 'card facts' }, [
      ['Server ID', h('code', {}, id)], ['Agent', h('code', {}, s['server.agentId'] || '—')],
      ['OS', `${s['server.osName'] || ''} ${s['server.osVersion'] || ''}`], ['Type', s['server.type']],
      ['Hypervisor', s['server.hypervisor'] || '—'], ['CPUs / cores', `${s['server.performance.numCpus'] || '—'} / ${s['server.performance.numCores'] || '—'}`],
      ['RAM', isNaN(ram) ? '—' : fmtNum(ram / 1024) + ' GB'], ['Average CPU', fmtNum(s['server.performance.avgCpuUsagePct']) + ' %'],
      ['Applications', JSON.parse(s['server.applications'] || '[]').map((a) => h('a', { href: '#/application/' + encodeURIComponent(a.configurationId) }, a.name, ' '))],
      ['Network', JSON.parse(s['server.networkInterfaceInfo'] || '[]').map((n) => n.ipAddress).join(', ')],
    ].map(([k, v]) => h('div', {}, h('span', {}, k), v))),
    h('h2', {}, 'Utilization'), picker, chartNote, charts,
    h('h2', {}, 'Processes'), processes,
    h('h2', {}, 'Outbound connections'), outbound,
    h('h2', {}, 'Inbound connections'), inbound,
    h('h2', {}, 'Neighbors'), neighbors);

  const end = Date.now() / 1000;
  const tasks = [
    consoleRead('GetServerUsage', { serverId: id, startTime: end - windowDays * 86400, endTime: end }).then((u) => {
      if (!current(gen)) return;
      drawCharts(charts, chartNote, u);
    }, (err) => charts.replaceChildren(errorBox(err))),
    more(processes, (nextToken) => ads('ListConfigurations', { configurationType: 'PROCESS', maxResults: PAGE, nextToken,
      filters: [{ name: 'server.configurationId', values: [id], condition: 'EQUALS' }],
      orderBy: [{ fieldName: 'process.name', sortOrder: 'ASC' }] }).then((p) => ({ rows: p.configurations || [], nextToken: p.nextToken })), [
      { title: 'Name', value: (r) => r['process.name'] },
      { title: 'Command line', value: (r) => h('code', {}, r['process.commandLine'] || '') },
      { title: 'Path', value: (r) => h('code', {}, r['process.path'] || '') },
      { title: 'Process ID', value: (r) => h('code', {}, r['process.configurationId']) },
    ], 'No process reported.', 'processes'),
    connections(outbound, 'sourceServer.configurationId', id, 'destination'),
    connections(inbound, 'destinationServer.configurationId', id, 'source'),
    more(neighbors, (nextToken) => ads('ListServerNeighbors', { configurationId: id, maxResults: PAGE, nextToken }).then(async (n) => {
      neighbors.dataset.known = n.knownDependencyCount;
      const rows = n.neighbors || [];
      const names = await hostNames(rows.flatMap((r) => [r.sourceServerId, r.destinationServerId]));
      return { rows: rows.map((r) => ({ ...r, sourceHostName: names.get(r.sourceServerId), destinationHostName: names.get(r.destinationServerId) })),
        nextToken: n.nextToken };
    }), [
      { title: 'Source', value: (r) => serverLink(r.sourceServerId, r.sourceHostName) },
      { title: 'Destination', value: (r) => serverLink(r.destinationServerId, r.destinationHostName) },
      { title: 'Connections', num: true, value: (r) => fmtNum(r.connectionsCount, 0) },
    ], 'No neighbor.', 'neighbors', () => h('p', { class: 'muted' }, `${neighbors.dataset.known} servers one hop away.`)),
  ];
  await Promise.all(tasks);
}

// PAGE is how many rows a list of the server page reads at a time; "Show
// more" reads the next ones.
const PAGE = 100;

// more fills el with a table of the rows load(nextToken) reads
// ({rows, nextToken}), and a "Show more" button while there are more: each
// click appends the next rows. head() is shown above the table, if given.
function more(el, load, columns, empty, noun, head) {
  const rows = [];
  const show = (token) => load(token).then((page) => {
    rows.push(...page.rows);
    const button = page.nextToken ? h('button', { type: 'button', class: 'secondary', 'data-more': true, onclick: (e) => {
      e.target.disabled = true;
      e.target.textContent = 'Loading…';
      return show(page.nextToken);
    } }, 'Show more') : null;
    el.replaceChildren(head ? head() : '', table(columns, rows, empty),
      page.nextToken ? h('p', { class: 'muted' }, `First ${rows.length} ${noun}. `, button) : null);
  }, (err) => el.replaceChildren(errorBox(err)));
  return show(undefined);
}

// hostNames maps server IDs to their host names (DescribeConfigurations,
// 100 IDs a call); IDs it cannot name are left out.
async function hostNames(ids) {
  const unique = [...new Set(ids.filter(Boolean))];
  const names = new Map();
  for (let i = 0; i < unique.length; i += 100) {
    const d = await ads('DescribeConfigurations', { configurationIds: unique.slice(i, i + 100) });
    for (const c of d.configurations || []) {
      if (c['server.hostName']) names.set(c['server.configurationId'], c['server.hostName']);
    }
  }
  return names;
}

// connections lists a server's connections in one direction, ordered by
// the other end's host name and IP (the API cannot order by occurrences),
// so that the rows "Show more" appends come after those shown.
function connections(el, field, id, other) {
  return more(el, (nextToken) => ads('ListConfigurations', { configurationType: 'CONNECTION', maxResults: PAGE, nextToken,
    filters: [{ name: field, values: [id], condition: 'EQUALS' }],
    orderBy: [{ fieldName: other + 'Server.hostName', sortOrder: 'ASC' }, { fieldName: 'connection.' + other + 'Ip', sortOrder: 'ASC' },
      { fieldName: 'connection.destinationPort', sortOrder: 'ASC' }] })
    .then((p) => ({ rows: p.configurations || [], nextToken: p.nextToken })), [
    { title: other === 'destination' ? 'Destination' : 'Source', value: (r) => {
      const sid = r[other + 'Server.configurationId'];
      const ip = r['connection.' + other + 'Ip'];
      return sid ? serverLink(sid, r[other + 'Server.hostName'] || sid) : ip;
    } },
    { title: 'IP', value: (r) => r['connection.' + other + 'Ip'] },
    { title: 'Port', num: true, value: (r) => r['connection.destinationPort'] },
    { title: 'Protocol', value: (r) => r['connection.transportProtocol'] },
    { title: 'Process', value: (r) => r[(other === 'destination' ? 'source' : 'destination') + 'Process.name'] || '' },
    { title: 'Occurrences', num: true, value: (r) => fmtNum(r['connection.occurrence'], 0) },
    { title: 'Latest', value: (r) => r['connection.latestTimestamp'] || '' },
  ], 'No connection.', 'connections');
}

const palette = ['#1f6feb', '#e8590c', '#2f9e44', '#ae3ec9'];

function drawCharts(el, note, u) {
  const s = u.samples;
  note.textContent = `${s.time.length} samples from ${fmtTime(u.startTime)} to ${fmtTime(u.endTime)}` +
    (u.truncated ? ' (truncated: narrow the window)' : '') + '.';
  if (!s.time.length) {
    el.replaceChildren(h('p', { class: 'muted' }, 'No samples in this window.'));
    return;
  }
  const used = s.totalRamMB.map((t, i) => t - s.freeRamMB[i]);
  const specs = [
    ['CPU', 'cpu', [['CPU used %', s.cpuPct]], { range: [0, 100] }],
    ['Memory', 'ram', [['Used MB', used], ['Free MB', s.freeRamMB]], {}],
    ['Disk', 'disk', [['Read KB/s', s.diskReadKBps], ['Write KB/s', s.diskWriteKBps]], {}],
    ['Network', 'network', [['Read KB/s', s.netReadKBps], ['Write KB/s', s.netWriteKBps]], {}],
  ];
  el.replaceChildren();
  for (const [title, key, series, opts] of specs) {
    const box = h('div', { class: 'card chart', 'data-chart': key }, h('h3', {}, title));
    el.append(box);
    const width = Math.max(480, box.clientWidth - 30);
    new uPlot({
      width, height: 220,
      scales: { x: { time: true }, y: opts.range ? { range: opts.range } : {} },
      series: [{}, ...series.map(([label], i) => ({ label, stroke: palette[i], width: 1.5, fill: i === 0 ? palette[i] + '22' : undefined }))],
      axes: [{}, { size: 60 }],
    }, [s.time, ...series.map(([, v]) => v)], box);
  }
}
