// Open mode, as a newcomer meets it (README): `poseidon serve --demo`, the
// console, "Continue without signing", the demo fleet and its map.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, ready, go, ui } from './browser.mjs';

let browser;
after(async () => {
  await browser?.close();
});

test('open mode: continue without signing, see the demo fleet and its map', async () => {
  browser = await launch();
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await page.goto(ui);
  await page.locator('#signin[open]').waitFor();
  assert.match(await page.textContent('#signin-why'), /Open mode/);
  await page.click('#signin-open');
  await ready(page);
  assert.match(await page.textContent('#server-count'), /^12 servers/);
  assert.match(await page.textContent('#who'), /unsigned · open mode/);
  await go(page, '#/map');
  await page.waitForFunction(() => window.poseidonMap && window.poseidonMap.nodes('[!group]').length === 12);
  await page.screenshot({ path: path.join(process.env.CONSOLE_ARTIFACTS, 'open-map.png') });
  // Unsigned, the header still offers to sign in: with a 12-digit access
  // key ID (open mode's account), the console shows that account.
  assert.equal(await page.textContent('#signout'), 'Sign in');
  await page.click('#signout');
  await page.locator('#signin[open]').waitFor();
  await page.fill('#signin input[name=accessKeyId]', '123456789012');
  await page.click('#signin button[type=submit]');
  await ready(page);
  assert.match(await page.textContent('#who'), /^123456789012 · us-west-2 · open mode/);
  assert.equal(await page.textContent('#signout'), 'Sign out');
});
