// The console's shell: sign-in (strict mode asks for an access key and
// secret, kept in sessionStorage) and the hash router of its pages.
import { credentials, saveCredentials, clearCredentials, serverInfo, ApiError } from './api.js';
import { h, errorBox } from './dom.js';
import { nextPage, current } from './nav.js';
import { renderServers, renderAgents } from './inventory.js';
import { renderServer } from './server.js';
import { renderApplications, renderApplication } from './applications.js';
import { renderMap } from './map.js';
import { renderExports } from './exports.js';
import { renderImports } from './imports.js';

const routes = [
  [/^#\/servers$/, 'servers', renderServers],
  [/^#\/agents$/, 'agents', renderAgents],
  [/^#\/server\/([^/]+)$/, 'servers', renderServer],
  [/^#\/applications$/, 'applications', renderApplications],
  [/^#\/application\/([^/]+)$/, 'applications', renderApplication],
  [/^#\/map$/, 'map', renderMap],
  [/^#\/exports$/, 'exports', renderExports],
  [/^#\/imports$/, 'imports', renderImports],
];

const view = document.getElementById('view');

async function route() {
  const gen = nextPage();
  window.dispatchEvent(new Event('poseidon:leave'));
  let hash = location.hash || '#/servers';
  const match = routes.find(([re]) => re.test(hash));
  if (!match) {
    location.hash = '#/servers';
    return;
  }
  const [re, page, render] = match;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === page);
  const args = hash.match(re).slice(1).map(decodeURIComponent);
  view.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  view.dataset.page = page;
  view.dataset.ready = 'false';
  const started = performance.now();
  try {
    await render(view, gen, ...args);
  } catch (err) {
    if (!current(gen)) return;
    view.replaceChildren(errorBox(err instanceof ApiError ? err : { message: String(err && err.stack || err) }));
  }
  if (current(gen)) {
    view.dataset.ready = 'true';
    view.dataset.loadMs = String(Math.round(performance.now() - started));
  }
}

// Sign-in.
const dialog = document.getElementById('signin');
const form = document.getElementById('signin-form');

function showWho(info) {
  const c = credentials();
  const who = document.getElementById('who');
  const mode = info.strict ? 'strict mode' : 'open mode';
  who.textContent = c ? `${c.accessKeyId} · ${c.region} · ${mode}` : `unsigned · ${mode}`;
  // Signed: "Sign out". Unsigned in open mode: "Sign in", to switch to the
  // account a fleet went to after "Continue without signing".
  const button = document.getElementById('signout');
  button.textContent = c ? 'Sign out' : 'Sign in';
  button.hidden = !c && !!info.strict;
}

function askCredentials(info, why) {
  document.getElementById('signin-why').textContent = why || (info.strict
    ? 'This server runs in strict mode: every call is signed with SigV4. Your keys stay in this tab (sessionStorage).'
    : 'Open mode: signatures are not checked. A 12-digit access key ID is used as the account ID; without one you see account 000000000000.');
  form.secretAccessKey.required = !!info.strict;
  document.getElementById('signin-open').hidden = !!info.strict;
  const c = credentials();
  if (c) {
    form.accessKeyId.value = c.accessKeyId;
    form.region.value = c.region || 'us-west-2';
  }
  if (!dialog.open) dialog.showModal();
  form.accessKeyId.focus();
}

async function start() {
  const info = await serverInfo();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    saveCredentials({
      accessKeyId: form.accessKeyId.value.trim(),
      secretAccessKey: form.secretAccessKey.value,
      region: form.region.value.trim() || 'us-west-2',
    });
    form.secretAccessKey.value = '';
    document.getElementById('signin-error').textContent = '';
    dialog.close();
    showWho(info);
    route();
  });
  document.getElementById('signin-open').addEventListener('click', () => {
    sessionStorage.setItem('poseidon.console.unsigned', '1');
    dialog.close();
    route();
  });
  document.getElementById('signout').addEventListener('click', () => {
    clearCredentials();
    sessionStorage.removeItem('poseidon.console.unsigned');
    showWho(info);
    view.replaceChildren();
    askCredentials(info);
  });
  window.addEventListener('poseidon:auth', (e) => {
    document.getElementById('signin-error').textContent = e.detail.type + ': ' + e.detail.message;
    askCredentials(info, 'The server refused these credentials.');
  });
  window.addEventListener('hashchange', route);
  showWho(info);
  if (!credentials() && (info.strict || !sessionStorage.getItem('poseidon.console.unsigned'))) {
    askCredentials(info);
    return;
  }
  route();
}

start();
