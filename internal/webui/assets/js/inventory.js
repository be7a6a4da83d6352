// Servers (ListConfigurations SERVER) and agents (DescribeAgents), with
// filters and keyset paging: each page is one API call, whatever the size
// of the fleet.
import { ads, pageAll } from './api.js';
import { h, table, status, serverLink, fmtTime, fmtNum, errorBox, Pager } from './dom.js';
import { current } from './nav.js';

// Filter state survives moving between pages of the console.
const serverFilters = { hostName: '', osName: '', application: '', pageSize: '100' };

export async function renderServers(view, gen) {
  const summary = await ads('GetDiscoverySummary', {});
  if (!current(gen)) return;
  const apps = await pageAll('ListConfigurations', { configurationType: 'APPLICATION', maxResults: 100 }, (p) => p.configurations || [], 20);
  if (!current(gen)) return;
  const results = h('div', { id: 'server-results' });
  const message = h('p', { class: 'muted', role: 'status' });
  const form = h('form', { class: 'filters', id: 'server-filters' },
    h('label', {}, 'Host name contains', h('input', { name: 'hostName', value: serverFilters.hostName })),
    h('label', {}, 'OS contains', h('input', { name: 'osName', value: serverFilters.osName })),
    h('label', {}, 'Application', h('select', { name: 'application' }, h('option', { value: '' }, 'any'),
      apps.map((a) => h('option', { value: a['application.configurationId'], selected: serverFilters.application === a['application.configurationId'] }, a['application.name'])))),
    h('label', {}, 'Per page', h('select', { name: 'pageSize' }, ['25', '50', '100'].map((n) => h('option', { selected: serverFilters.pageSize === n }, n)))),
    h('button', { type: 'submit' }, 'Apply'));
  let rows = [];
  const filters = () => {
    const f = [];
    if (serverFilters.hostName) f.push({ name: 'server.hostName', values: [serverFilters.hostName], condition: 'CONTAINS' });
    if (serverFilters.osName) f.push({ name: 'server.osName', values: [serverFilters.osName], condition: 'CONTAINS' });
    if (serverFilters.application) f.push({ name: 'server.application.configurationId', values: [serverFilters.application], condition: 'EQUALS' });
    return f;
  };
  const pager = new Pager(async (token) => {
    const page = await ads('ListConfigurations', {
      configurationType: 'SERVER', filters: filters(), maxResults: Number(serverFilters.pageSize),
      orderBy: [{ fieldName: 'server.hostName', sortOrder: 'ASC' }], nextToken: token,
    });
    rows = page.configurations || [];
    return page.nextToken;
  });
  const selected = new Set();
  const associate = h('form', { class: 'toolbar', id: 'associate' },
    h('label', {}, 'Add the selected servers to', h('select', { name: 'app' }, apps.map((a) => h('option', { value: a['application.configurationId'] }, a['application.name'])))),
    h('button', { type: 'submit', disabled: !apps.length }, 'Associate'));
  associate.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!selected.size) return;
    try {
      await ads('AssociateConfigurationItemsToApplication', { applicationConfigurationId: associate.app.value, configurationIds: [...selected] });
      message.textContent = `Associated ${selected.size} servers with ${associate.app.selectedOptions[0].textContent}.`;
      selected.clear();
      draw();
    } catch (err) {
      message.replaceChildren(errorBox(err));
    }
  });
  const draw = () => {
    results.replaceChildren(
      table([
        { title: '', value: (r) => h('input', { type: 'checkbox', 'aria-label': 'select', checked: selected.has(r['server.configurationId']),
          onchange: (e) => (e.target.checked ? selected.add(r['server.configurationId']) : selected.delete(r['server.configurationId'])) }) },
        { title: 'Host name', value: (r) => serverLink(r['server.configurationId'], r['server.hostName'] || r['server.configurationId']) },
        { title: 'Server ID', value: (r) => h('code', {}, r['server.configurationId']) },
        { title: 'OS', value: (r) => `${r['server.osName'] || ''} ${r['server.osVersion'] || ''}` },
        { title: 'Type', value: (r) => r['server.type'] || '' },
        { title: 'Agent', value: (r) => h('code', {}, r['server.agentId'] || '') },
        { title: 'Created', value: (r) => r['server.timeOfCreation'] || '' },
      ], rows, 'No server matches.'),
      pager.controls(draw));
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const k of Object.keys(serverFilters)) serverFilters[k] = form[k].value;
    try {
      await pager.first();
      draw();
    } catch (err) {
      results.replaceChildren(errorBox(err));
    }
  });
  await pager.first();
  if (!current(gen)) return;
  view.replaceChildren(
    h('h1', {}, 'Servers'),
    h('p', { class: 'muted', id: 'server-count' }, `${fmtNum(summary.servers, 0)} servers, ${fmtNum(summary.applications, 0)} applications, ` +
      `${fmtNum(summary.serversMappedToApplications, 0)} servers in applications.`),
    form, associate, message, results);
  draw();
}

const agentFilters = { hostName: '', health: '' };

export async function renderAgents(view, gen) {
  const results = h('div', { id: 'agent-results' });
  const form = h('form', { class: 'filters' },
    h('label', {}, 'Host name contains', h('input', { name: 'hostName', value: agentFilters.hostName })),
    h('label', {}, 'Health', h('select', { name: 'health' }, ['', 'HEALTHY', 'UNHEALTHY', 'RUNNING', 'UNKNOWN', 'BLACKLISTED', 'SHUTDOWN']
      .map((v) => h('option', { value: v, selected: agentFilters.health === v }, v || 'any')))),
    h('button', { type: 'submit' }, 'Apply'));
  let rows = [];
  const pager = new Pager(async (token) => {
    const filters = [];
    if (agentFilters.hostName) filters.push({ name: 'hostName', values: [agentFilters.hostName], condition: 'CONTAINS' });
    if (agentFilters.health) filters.push({ name: 'health', values: [agentFilters.health], condition: 'EQUALS' });
    const page = await ads('DescribeAgents', { filters, maxResults: 100, nextToken: token });
    rows = page.agentsInfo || [];
    return page.nextToken;
  });
  const draw = () => results.replaceChildren(table([
    { title: 'Agent ID', value: (a) => h('code', {}, a.agentId) },
    { title: 'Host name', value: (a) => a.hostName || '' },
    { title: 'Health', value: (a) => status(a.health) },
    { title: 'Collection', value: (a) => status(a.collectionStatus) },
    { title: 'Type', value: (a) => a.agentType || '' },
    { title: 'Version', value: (a) => a.version || '' },
    { title: 'IP addresses', value: (a) => (a.agentNetworkInfoList || []).map((n) => n.ipAddress).join(', ') },
    { title: 'Last ping', value: (a) => fmtTime(a.lastHealthPingTime) },
  ], rows, 'No agent matches.'), pager.controls(draw));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    agentFilters.hostName = form.hostName.value;
    agentFilters.health = form.health.value;
    try {
      await pager.first();
      draw();
    } catch (err) {
      results.replaceChildren(errorBox(err));
    }
  });
  await pager.first();
  if (!current(gen)) return;
  view.replaceChildren(h('h1', {}, 'Agents'), form, results);
  draw();
}
