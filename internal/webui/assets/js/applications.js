// Applications: ListConfigurations APPLICATION, CreateApplication,
// UpdateApplication (rename), and an application's servers
// (ListConfigurations SERVER by application) with
// AssociateConfigurationItemsToApplication.
import { ads } from './api.js';
import { h, table, serverLink, fmtNum, errorBox, Pager } from './dom.js';
import { current } from './nav.js';

export async function renderApplications(view, gen) {
  let rows = [];
  const pager = new Pager(async (token) => {
    const page = await ads('ListConfigurations', { configurationType: 'APPLICATION', maxResults: 100,
      orderBy: [{ fieldName: 'application.name', sortOrder: 'ASC' }], nextToken: token });
    rows = page.configurations || [];
    return page.nextToken;
  });
  const results = h('div', { id: 'application-results' });
  const message = h('p', { role: 'status' });
  const create = h('form', { class: 'filters', id: 'create-application' },
    h('label', {}, 'Name', h('input', { name: 'name', required: true, maxlength: 127 })),
    h('label', {}, 'Description', h('input', { name: 'description', maxlength: 1000 })),
    h('label', {}, 'Wave', h('input', { name: 'wave', maxlength: 255 })),
    h('button', { type: 'submit' }, 'Create application'));
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const body = { name: create.name.value };
      if (create.description.value) body.description = create.description.value;
      if (create.wave.value) body.wave = create.wave.value;
      const out = await ads('CreateApplication', body);
      message.replaceChildren('Created ', h('a', { href: '#/application/' + out.configurationId }, create.name.value), '.');
      create.reset();
      await pager.show();
      draw();
    } catch (err) {
      message.replaceChildren(errorBox(err));
    }
  });
  const draw = () => results.replaceChildren(table([
    { title: 'Name', value: (a) => h('a', { href: '#/application/' + encodeURIComponent(a['application.configurationId']) }, a['application.name']) },
    { title: 'Application ID', value: (a) => h('code', {}, a['application.configurationId']) },
    { title: 'Servers', num: true, value: (a) => fmtNum(a['application.serverCount'], 0) },
    { title: 'Description', value: (a) => a['application.description'] || '' },
    { title: 'Modified', value: (a) => a['application.lastModifiedTime'] || '' },
  ], rows, 'No application yet.'), pager.controls(draw));
  await pager.first();
  if (!current(gen)) return;
  view.replaceChildren(h('h1', {}, 'Applications'), create, message, results);
  draw();
}

export async function renderApplication(view, gen, id) {
  const desc = await ads('DescribeConfigurations', { configurationIds: [id] });
  if (!current(gen)) return;
  const app = (desc.configurations || [])[0];
  if (!app) {
    view.replaceChildren(h('h1', {}, 'Application not found'), h('p', { class: 'muted' }, 'This account has no application with that ID.'));
    return;
  }
  const message = h('p', { role: 'status', id: 'application-message' });
  const rename = h('form', { class: 'filters', id: 'rename-application' },
    h('label', {}, 'Name', h('input', { name: 'name', value: app['application.name'], required: true, maxlength: 127 })),
    h('label', {}, 'Description', h('input', { name: 'description', value: app['application.description'] || '', maxlength: 1000 })),
    h('button', { type: 'submit' }, 'Save'));
  rename.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await ads('UpdateApplication', { configurationId: id, name: rename.name.value, description: rename.description.value });
      title.textContent = rename.name.value;
      message.textContent = 'Saved.';
    } catch (err) {
      message.replaceChildren(errorBox(err));
    }
  });
  const title = h('h1', {}, app['application.name']);

  let members = [];
  const pager = new Pager(async (token) => {
    const page = await ads('ListConfigurations', { configurationType: 'SERVER', maxResults: 100, nextToken: token,
      filters: [{ name: 'server.application.configurationId', values: [id], condition: 'EQUALS' }],
      orderBy: [{ fieldName: 'server.hostName', sortOrder: 'ASC' }] });
    members = page.configurations || [];
    return page.nextToken;
  });
  const servers = h('div', { id: 'application-servers' });
  const drawMembers = () => servers.replaceChildren(table([
    { title: 'Host name', value: (r) => serverLink(r['server.configurationId'], r['server.hostName']) },
    { title: 'Server ID', value: (r) => h('code', {}, r['server.configurationId']) },
    { title: 'OS', value: (r) => r['server.osName'] || '' },
  ], members, 'No server in this application yet.'), pager.controls(drawMembers));

  // Find servers by host name and associate them.
  const found = h('div', { id: 'candidates' });
  const search = h('form', { class: 'filters', id: 'find-servers' },
    h('label', {}, 'Add servers whose host name contains', h('input', { name: 'q', required: true })),
    h('button', { type: 'submit' }, 'Find'));
  search.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const page = await ads('ListConfigurations', { configurationType: 'SERVER', maxResults: 100,
        filters: [{ name: 'server.hostName', values: [search.q.value], condition: 'CONTAINS' }],
        orderBy: [{ fieldName: 'server.hostName', sortOrder: 'ASC' }] });
      const rows = page.configurations || [];
      const picked = new Set(rows.map((r) => r['server.configurationId']));
      const add = h('button', { type: 'button', id: 'associate-found', disabled: !rows.length, onclick: async () => {
        try {
          await ads('AssociateConfigurationItemsToApplication', { applicationConfigurationId: id, configurationIds: [...picked] });
          message.textContent = `Associated ${picked.size} servers.`;
          found.replaceChildren();
          await pager.first();
          drawMembers();
        } catch (err) {
          message.replaceChildren(errorBox(err));
        }
      } }, `Associate the checked servers`);
      found.replaceChildren(table([
        { title: '', value: (r) => h('input', { type: 'checkbox', checked: true, 'aria-label': 'pick',
          onchange: (ev) => (ev.target.checked ? picked.add(r['server.configurationId']) : picked.delete(r['server.configurationId'])) }) },
        { title: 'Host name', value: (r) => r['server.hostName'] },
        { title: 'Server ID', value: (r) => h('code', {}, r['server.configurationId']) },
      ], rows, 'No server matches.'), page.nextToken ? h('p', { class: 'muted' }, 'The first 100 matches.') : null, add);
    } catch (err) {
      found.replaceChildren(errorBox(err));
    }
  });
  await pager.first();
  if (!current(gen)) return;
  view.replaceChildren(title, h('p', { class: 'muted' }, h('code', {}, id)), rename, message,
    h('h2', {}, 'Servers'), servers, h('h2', {}, 'Associate servers'), search, found);
  drawMembers();
}
