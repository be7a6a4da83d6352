// Prints (does not assert) how long the server list and the map take to
// load in the browser over a fleet of CONSOLE_SERVERS servers: from the
// navigation to the page showing its data (and, for the map, the graph
// drawn). Three loads each; the median is printed.
import { launch, signIn, go } from './browser.mjs';

const n = Number(process.env.CONSOLE_SERVERS);
const browser = await launch();
try {
  const page = await signIn(browser, process.env.CONSOLE_KEY, process.env.CONSOLE_SECRET, '#/agents');
  const time = async (hash, extra) => {
    const runs = [];
    for (let i = 0; i < 3; i++) {
      await go(page, '#/imports');
      const t0 = Date.now();
      await go(page, hash, 300000);
      if (extra) await page.waitForFunction(extra, null, { timeout: 300000 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      runs.push(Date.now() - t0);
    }
    runs.sort((x, y) => x - y);
    return runs[1];
  };
  const list = await time('#/servers');
  const count = await page.textContent('#server-count');
  const agents = await time('#/agents');
  const map = await time('#/map', () => window.poseidonMap && window.poseidonMap.nodes().length > 0);
  const info = await page.textContent('#map-info');
  const split = await page.evaluate(() => ({ ...document.getElementById('view').dataset }));
  console.log(`console page load, ${n} servers: server list ${list} ms (${count.split(' servers')[0]} servers), agents list ${agents} ms, ` +
    `map ${map} ms (${info.split('(')[0].trim()}; last load: GetNetworkMap ${split.fetchMs} ms, drawing ${split.drawMs} ms)`);
  if (await page.locator('#map-everything').count()) {
    // The map opened on its overview: time drawing every server too (once).
    await page.evaluate(() => { document.getElementById('view').dataset.ready = 'false'; });
    const t0 = Date.now();
    await page.click('#map-everything');
    await page.waitForSelector('#view[data-ready=true]', { timeout: 300000 });
    await page.waitForFunction(() => window.poseidonMap && window.poseidonMap.nodes('[!group]').length > 0, null, { timeout: 300000 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const all = Date.now() - t0;
    const d = await page.evaluate(() => ({ ...document.getElementById('view').dataset }));
    console.log(`   map with every one of the ${n} servers drawn: ${all} ms (GetNetworkMap ${d.fetchMs} ms, drawing ${d.drawMs} ms)`);
  }
  if (page.errors.length) console.log('page errors:', page.errors);
} finally {
  await browser.close();
}
