// The console's scenarios in headless Chromium, against poseidon in strict
// mode with account A (AKIACONSOLEA, 60 servers) and account B
// (AKIACONSOLEB, 40 servers) seeded by run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, signIn, go, ready, ui } from './browser.mjs';

const artifacts = process.env.CONSOLE_ARTIFACTS;
const shot = (name) => path.join(artifacts, name);
const readLines = (f) => fs.readFileSync(path.join(process.env.CONSOLE_TMP, f), 'utf8').split('\n').filter(Boolean);

let browser;
let a; // account A's page
before(async () => {
  browser = await launch();
  a = await signIn(browser, 'AKIACONSOLEA', 'secret-of-a');
});
after(async () => {
  await browser?.close();
});

test('strict mode refuses a wrong secret and asks again', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(ui);
  await page.locator('#signin[open]').waitFor();
  await page.fill('#signin input[name=accessKeyId]', 'AKIACONSOLEA');
  await page.fill('#signin input[name=secretAccessKey]', 'not-the-secret');
  await page.click('#signin button[type=submit]');
  await page.locator('#signin-error', { hasText: 'SignatureDoesNotMatch' }).or(page.locator('#signin-error', { hasText: 'InvalidSignature' })).waitFor();
  assert.ok(await page.locator('#signin[open]').isVisible(), 'the sign-in dialog is open again');
  assert.equal(await page.locator('#server-results').count(), 0, 'no server list without valid credentials');
  await context.close();
});

test('the server list shows the seeded fleet, filters and pages', async () => {
  await go(a, '#/servers');
  const count = await a.textContent('#server-count');
  assert.match(count, /^60 servers/);
  // 25 a page: three pages, the last with 10.
  await a.selectOption('#server-filters select[name=pageSize]', '25');
  await a.click('#server-filters button[type=submit]');
  await a.waitForFunction(() => document.querySelectorAll('#server-results tbody tr').length === 25);
  const seen = new Set();
  for (let page = 0; page < 3; page++) {
    const ids = await a.$$eval('#server-results a[data-server-id]', (els) => els.map((e) => e.dataset.serverId));
    ids.forEach((id) => seen.add(id));
    if (page < 2) {
      const first = ids[0];
      await a.click('#server-results button[data-next]');
      await a.waitForFunction((f) => document.querySelector('#server-results a[data-server-id]')?.dataset.serverId !== f, first);
    }
  }
  assert.equal(seen.size, 60, 'the pages hold every server once');
  await a.fill('#server-filters input[name=hostName]', 'billing');
  await a.click('#server-filters button[type=submit]');
  await a.waitForFunction(() => [...document.querySelectorAll('#server-results a[data-server-id]')].every((e) => e.textContent.includes('billing')));
  await a.screenshot({ path: shot('servers.png'), fullPage: false });
  await a.fill('#server-filters input[name=hostName]', '');
  await a.selectOption('#server-filters select[name=pageSize]', '100');
  await a.click('#server-filters button[type=submit]');
  await go(a, '#/agents');
  assert.equal(await a.locator('#agent-results tbody tr').count(), 60);
});

test('start an export and download it', async () => {
  await go(a, '#/exports');
  await a.selectOption('#start-export select[name=kind]', 'summary');
  await a.click('#start-export button[type=submit]');
  const id = (await a.locator('#export-message code').textContent()).trim();
  assert.match(id, /^[0-9a-f-]{36}$|^export-/);
  const link = a.locator(`a[data-export-id="${id}"]`);
  await link.waitFor({ timeout: 60000 }); // the page polls until it SUCCEEDED
  await a.screenshot({ path: shot('exports.png') });
  const [download] = await Promise.all([a.waitForEvent('download'), link.click()]);
  const file = shot('export.zip');
  await download.saveAs(file);
  const zip = fs.readFileSync(file);
  assert.equal(zip.subarray(0, 2).toString(), 'PK', 'a zip archive');
  assert.ok(zip.includes(Buffer.from('111111111111_')), 'its members are named for account A');
  assert.ok(!zip.includes(Buffer.from('222222222222')), 'nothing of account B');
});

test('start an agent export over a window and an EC2 recommendations export', async () => {
  await go(a, '#/exports');
  assert.ok(await a.locator('#agent-fields').isHidden() && await a.locator('#ec2-fields').isHidden(), 'only the summary form shows');
  const started = async () => {
    await a.locator('#export-message code').waitFor();
    const id = (await a.locator('#export-message code').textContent()).trim();
    await a.locator(`a[data-export-id="${id}"]`).waitFor({ timeout: 60000 });
    return a.locator('#export-results tr', { has: a.locator(`a[data-export-id="${id}"]`) });
  };
  const agent = readLines('agents-a.txt')[0];
  await a.selectOption('#start-export select[name=kind]', 'agent');
  await a.fill('#start-export input[name=agentId]', agent);
  await a.evaluate(() => { document.getElementById('export-message').replaceChildren(); });
  await a.click('#start-export button[type=submit]');
  const agentRow = await started();
  assert.match(await agentRow.textContent(), /SUCCEEDED/);
  assert.match(await agentRow.textContent(), / – /, 'the agent window is shown');
  await a.selectOption('#start-export select[name=kind]', 'ec2');
  await a.selectOption('#start-export select[name=cpuBasis]', 'AVG');
  await a.fill('#start-export input[name=cpuAdjust]', '20');
  await a.fill('#start-export input[name=excluded]', 't2.nano, t2.micro');
  await a.selectOption('#start-export select[name=ri]', 'PARTIAL_UPFRONT');
  await a.evaluate(() => { document.getElementById('export-message').replaceChildren(); });
  await a.click('#start-export button[type=submit]');
  const ec2Row = await started();
  const [download] = await Promise.all([a.waitForEvent('download'), ec2Row.locator('a[data-export-id]').click()]);
  const file = shot('ec2-export.zip');
  await download.saveAs(file);
  assert.ok(fs.readFileSync(file).includes(Buffer.from('EC2InstanceRecommendations.csv')), 'the EC2 recommendations file');
});

test('an application: create, rename, associate servers', async () => {
  await go(a, '#/applications');
  await a.fill('#create-application input[name=name]', 'billing-draft');
  await a.click('#create-application button[type=submit]');
  await a.locator('#application-results a', { hasText: 'billing-draft' }).click();
  await ready(a);
  await a.fill('#rename-application input[name=name]', 'billing');
  await a.click('#rename-application button[type=submit]');
  await a.locator('#application-message', { hasText: 'Saved.' }).waitFor();
  await a.fill('#find-servers input[name=q]', 'billing-');
  await a.click('#find-servers button[type=submit]');
  await a.locator('#associate-found').click();
  await a.locator('#application-message', { hasText: /Associated \d+ servers/ }).waitFor();
  const members = await a.locator('#application-servers a[data-server-id]').allTextContents();
  assert.ok(members.length > 0 && members.every((m) => m.startsWith('billing-')), `members: ${members}`);
  await go(a, '#/applications');
  assert.ok(await a.locator('#application-results a', { hasText: /^billing$/ }).count() === 1, 'renamed in the list');
  // Every seeded application gets one, through the API the console uses
  // (signed as A), so that the map is grouped by application.
  await a.evaluate(async () => {
    const { ads } = await import('./js/api.js');
    const servers = [];
    let token;
    do {
      const p = await ads('ListConfigurations', { configurationType: 'SERVER', maxResults: 100, nextToken: token });
      servers.push(...p.configurations);
      token = p.nextToken;
    } while (token);
    const byApp = new Map();
    for (const s of servers) {
      const name = s['server.hostName'].split('-')[0];
      if (name === 'billing') continue;
      if (!byApp.has(name)) byApp.set(name, []);
      byApp.get(name).push(s['server.configurationId']);
    }
    for (const [name, ids] of byApp) {
      const { configurationId } = await ads('CreateApplication', { name });
      await ads('AssociateConfigurationItemsToApplication', { applicationConfigurationId: configurationId, configurationIds: ids });
    }
  });
});

test("a server's charts, processes and connections", async () => {
  await go(a, '#/servers');
  const link = a.locator('#server-results a[data-server-id]', { hasText: /-app-01/ }).first();
  const id = await link.getAttribute('data-server-id');
  await link.click();
  await ready(a);
  assert.equal(await a.evaluate(() => location.hash), '#/server/' + id);
  await a.locator('#charts [data-chart] canvas').nth(3).waitFor();
  for (const chart of ['cpu', 'ram', 'disk', 'network']) {
    assert.equal(await a.locator(`[data-chart=${chart}] canvas`).count(), 1, chart + ' chart drawn');
  }
  assert.match(await a.textContent('#usage-note'), /^9[0-9] samples/, '24 h of 15-minute samples');
  assert.ok(await a.locator('#processes tbody tr').count() > 0, 'processes listed');
  assert.ok(await a.locator('#outbound tbody tr').count() + await a.locator('#inbound tbody tr').count() > 0, 'connections listed');
  await a.screenshot({ path: shot('server.png'), fullPage: false });
});

test('the dependency map: follow a node to its server', async () => {
  await go(a, '#/map');
  await a.waitForFunction(() => window.poseidonMap && window.poseidonMap.nodes('[!group]').length > 0);
  const info = await a.textContent('#map-info');
  assert.match(info, /^60 servers, \d+ edges/);
  const groups = await a.evaluate(() => window.poseidonMap.nodes('[?group]').map((g) => g.data('label')));
  assert.ok(groups.includes('billing'), `grouped by application: ${groups}`);
  await a.waitForTimeout(300); // let the canvas paint
  await a.screenshot({ path: shot('map.png') });
  // One application and the servers it talks to.
  const billing = await a.$eval('#map-only', (sel) => [...sel.options].find((o) => o.textContent.startsWith('billing (')).value);
  await a.evaluate(() => { document.getElementById('view').dataset.ready = 'false'; });
  await a.selectOption('#map-only', billing);
  await ready(a);
  const drawn = await a.evaluate(() => window.poseidonMap.nodes('[!group]').map((n) => n.data('label')));
  assert.ok(drawn.length > 0 && drawn.length < 60 && drawn.some((l) => l.startsWith('billing-')), `billing's map: ${drawn}`);
  await a.evaluate(() => { document.getElementById('view').dataset.ready = 'false'; });
  await a.selectOption('#map-only', '');
  await ready(a);
  assert.equal(await a.evaluate(() => window.poseidonMap.nodes('[!group]').length), 60);
  // The busiest server: click its node where it is drawn on the canvas.
  const target = await a.evaluate(() => {
    const cy = window.poseidonMap;
    const n = cy.nodes('[!group]').max((x) => x.degree()).ele;
    cy.zoom({ level: 1.5, position: n.position() });
    cy.center(n);
    const p = n.renderedPosition();
    return { id: n.id(), x: p.x, y: p.y };
  });
  const box = await a.locator('#cy').boundingBox();
  await a.waitForTimeout(200);
  await a.mouse.click(box.x + target.x, box.y + target.y);
  await ready(a);
  assert.equal(await a.evaluate(() => location.hash), '#/server/' + target.id);
  await a.locator('#charts [data-chart] canvas').first().waitFor();
});

test('strict mode: signed in as A, no B server or agent appears anywhere', async () => {
  const b = await signIn(browser, 'AKIACONSOLEB', 'secret-of-b');
  const bServers = await b.$$eval('#server-results a[data-server-id]', (els) => els.map((e) => e.dataset.serverId));
  assert.equal(bServers.length, 40, "B sees its 40 servers");
  await b.context().close();
  const bAgents = readLines('agents-b.txt');
  assert.equal(bAgents.length, 40);
  const aAgents = readLines('agents-a.txt');
  const forbidden = [...bServers, ...bAgents];
  const check = async (where) => {
    const html = await a.content();
    const leaked = forbidden.filter((id) => html.includes(id));
    assert.deepEqual(leaked, [], `${where} shows B's IDs`);
  };
  for (const hash of ['#/servers', '#/agents', '#/applications', '#/exports', '#/imports', '#/map']) {
    await go(a, hash);
    await check(hash);
  }
  const mapIds = await a.evaluate(() => window.poseidonMap.nodes('[!group]').map((n) => n.id()));
  assert.equal(mapIds.length, 60);
  assert.deepEqual(mapIds.filter((id) => bServers.includes(id)), []);
  // Every agent page of A: A's agents only.
  await go(a, '#/agents');
  const shown = await a.$$eval('#agent-results tbody tr td:first-child', (els) => els.map((e) => e.textContent));
  assert.deepEqual(shown.sort(), [...aAgents].sort());
  // B's server by its URL: not found for A, and its samples refused.
  await go(a, '#/server/' + bServers[0]);
  assert.equal(await a.textContent('#view h1'), 'Server not found');
  await check('B server page');
  const err = await a.evaluate(async (id) => {
    const { consoleRead } = await import('./js/api.js');
    try {
      await consoleRead('GetServerUsage', { serverId: id });
      return 'no error';
    } catch (e) {
      return e.type;
    }
  }, bServers[0]);
  assert.equal(err, 'ResourceNotFoundException');
  assert.deepEqual(a.errors, [], 'no script error in the page');
});

test('an import task and its errors file', async () => {
  // StartImportTask through the console's signed client (the console starts
  // no imports: ADS imports read a file from S3, here A's local bucket).
  const id = await a.evaluate(async () => {
    const { ads } = await import('./js/api.js');
    const out = await ads('StartImportTask', { name: 'console-import', importUrl: 's3://console-bucket/servers.csv' });
    return out.task.importTaskId;
  });
  await go(a, '#/imports');
  const link = a.locator(`a[data-import-id="${id}"]`);
  await link.waitFor({ timeout: 60000 }); // the page polls while the task runs
  const row = a.locator('#import-results tr', { has: link });
  assert.match(await row.textContent(), /IMPORT_COMPLETE_WITH_ERRORS/);
  assert.match(await row.textContent(), /1 \/ 2/, 'one server imported, two rows failed');
  await a.screenshot({ path: shot('imports.png') });
  const [download] = await Promise.all([a.waitForEvent('download'), link.click()]);
  const file = shot('import-errors.zip');
  await download.saveAs(file);
  const zip = fs.readFileSync(file);
  assert.equal(zip.subarray(0, 2).toString(), 'PK');
  assert.ok(zip.includes(Buffer.from('errors-file.csv')) && zip.includes(Buffer.from('failed-entries-file.csv')), 'the errors zip holds its two files');
  assert.deepEqual(a.errors, [], 'no script error in the page');
});

test('screenshots for the README', async () => {
  if (process.env.CONSOLE_UPDATE_DOCS !== '1') return;
  const img = path.join(process.env.CONSOLE_ROOT, 'docs', 'img');
  fs.mkdirSync(img, { recursive: true });
  fs.copyFileSync(shot('map.png'), path.join(img, 'console-map.png'));
  fs.copyFileSync(shot('server.png'), path.join(img, 'console-server.png'));
});

// Last, as it adds a server to A: a server with 130 processes and 110
// outbound connections (one agent report, signed as A, to the intake). Its
// page shows 100 of each and "Show more" reads the rest; its neighbors,
// and a seeded server's, are named by host name, not by server ID.
test("a server's lists page with Show more, its neighbors by host name", async () => {
  const busy = await a.evaluate(async () => {
    const { ads } = await import('./js/api.js');
    const { AwsClient } = await import('./vendor/aws4fetch.js');
    const peer = (await ads('ListConfigurations', { configurationType: 'SERVER', maxResults: 1,
      orderBy: [{ fieldName: 'server.hostName', sortOrder: 'ASC' }] })).configurations[0];
    const d = (await ads('DescribeConfigurations', { configurationIds: [peer['server.configurationId']] })).configurations[0];
    const peerIp = JSON.parse(d['server.networkInterfaceInfo'])[0].ipAddress;
    const now = Math.floor(Date.now() / 1000);
    const report = {
      reportId: 'console-busy-1', agentId: 'o-consolebusy00001', timestamp: now,
      agent: {}, server: { hostName: 'busy-01.console.test', osName: 'Linux' },
      networkInterfaces: [{ name: 'eth0', ipAddress: '10.250.0.1' }],
      processes: Array.from({ length: 130 }, (_, i) => ({ pid: 1000 + i, name: 'worker-' + String(i).padStart(3, '0'), path: '/usr/bin/worker' })),
      connections: Array.from({ length: 110 }, (_, i) => ({ direction: 'outbound', sourceIp: '10.250.0.1', sourcePort: 40000 + i,
        destinationIp: peerIp, destinationPort: 20000 + i, pid: 1000 })),
    };
    const signer = new AwsClient({ accessKeyId: 'AKIACONSOLEA', secretAccessKey: 'secret-of-a', service: 'discovery', region: 'us-west-2' });
    const res = await signer.fetch(new URL('/_poseidon/intake', location.origin).href,
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ reports: [report] }) });
    if (!res.ok) throw new Error(`intake: ${res.status} ${await res.text()}`);
    const found = await ads('ListConfigurations', { configurationType: 'SERVER', maxResults: 10,
      filters: [{ name: 'server.hostName', values: ['busy-01.console.test'], condition: 'EQUALS' }] });
    return { id: found.configurations[0]['server.configurationId'], peerId: peer['server.configurationId'], peerHost: peer['server.hostName'] };
  });
  await go(a, '#/server/' + busy.id);
  for (const [list, first, all] of [['processes', 100, 130], ['outbound', 100, 110]]) {
    await a.locator(`#${list} tbody tr`).first().waitFor();
    assert.equal(await a.locator(`#${list} tbody tr`).count(), first, `${list}: the first ${first}`);
    await a.click(`#${list} button[data-more]`);
    await a.waitForFunction(([l, n]) => document.querySelectorAll(`#${l} tbody tr`).length === n, [list, all]);
    assert.equal(await a.locator(`#${list} button[data-more]`).count(), 0, `${list}: no more to show`);
  }
  const names = await a.$$eval('#processes tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
  assert.equal(new Set(names).size, 130, 'every process once');
  assert.deepEqual(names, [...names].sort(), 'processes in name order across pages');
  const ports = await a.$$eval('#outbound tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent));
  assert.equal(new Set(ports).size, 110, 'every connection once');
  // Neighbors by host name.
  await a.locator('#neighbors tbody tr').first().waitFor();
  const neighbor = a.locator('#neighbors a[data-server-id]', { hasText: busy.peerHost });
  assert.equal(await neighbor.count(), 1, 'the peer named by its host name');
  assert.equal(await neighbor.getAttribute('data-server-id'), busy.peerId);
  assert.equal(await a.locator('#neighbors a[data-server-id]', { hasText: 'busy-01.console.test' }).count(), 1, 'the server itself named');
  await go(a, '#/server/' + busy.peerId);
  await a.locator('#neighbors tbody tr').first().waitFor();
  const texts = await a.$$eval('#neighbors a[data-server-id]', (els) => els.map((e) => [e.textContent, e.dataset.serverId]));
  assert.ok(texts.length > 0 && texts.every(([t, sid]) => t !== sid && !t.startsWith('d-server-')), `neighbors by host name: ${JSON.stringify(texts)}`);
  assert.ok(texts.some(([t]) => t === 'busy-01.console.test'), 'the busy server among the peer\'s neighbors');
  assert.deepEqual(a.errors, []);
});
