// Shared by the scenarios and the timings: Debian's chromium, headless,
// driven by playwright-core; a signed-in page of the console.
import { chromium } from 'playwright-core';

export const base = process.env.POSEIDON_URL;
export const ui = base + '/_poseidon/ui/';

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// signIn opens the console in a new context and signs in through the
// sign-in dialog, as a person would.
export async function signIn(browser, accessKeyId, secretAccessKey, hash = '#/servers') {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = []; // uncaught exceptions and 5xx answers
  page.on('pageerror', (e) => errors.push(String(e)));
  // Failed calls the page handles (a 400 it shows) are no script error;
  // a server error is.
  page.on('response', (r) => { if (r.status() >= 500) errors.push(`${r.status()} ${r.url()}`); });
  page.errors = errors;
  await page.goto(ui + hash);
  await page.locator('#signin[open]').waitFor();
  await page.fill('#signin input[name=accessKeyId]', accessKeyId);
  await page.fill('#signin input[name=secretAccessKey]', secretAccessKey);
  await page.click('#signin button[type=submit]');
  await ready(page);
  return page;
}

// ready waits until the page shown has loaded its data.
export async function ready(page, timeout = 60000) {
  await page.waitForSelector('#view[data-ready=true]', { timeout });
}

// go opens a page of the console by its hash and waits for it.
export async function go(page, hash, timeout) {
  await page.evaluate((h) => {
    document.getElementById('view').dataset.ready = 'false';
    if (location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = h;
  }, hash);
  await ready(page, timeout);
}
