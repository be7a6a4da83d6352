// The network dependency map: servers as nodes, grouped by application
// (compound nodes), the observed traffic between them as edges whose width
// grows with the connections counted. One call (GetNetworkMap) reads the
// whole bounded map; the layout is computed here (groups packed on shelves,
// each a grid), so 10,000 servers draw without a force simulation. Drawn by
// cytoscape.js: wheel or pinch to zoom, drag to pan, click a server to open
// its page.
import cytoscape from '../vendor/cytoscape.js';
import { consoleRead } from './api.js';
import { h, fmtNum } from './dom.js';
import { current } from './nav.js';

const SPACING = 100;
// Above this many servers the map opens on its overview: one node per
// group, edges the traffic between groups; a click on a group draws its
// servers and the servers they talk to. "Draw every server" draws them all.
const OVERVIEW_ABOVE = 1500;
const palette = ['#1f6feb', '#e8590c', '#2f9e44', '#ae3ec9', '#0c8599', '#d6336c', '#5c940d', '#f08c00', '#3b5bdb', '#862e9c'];
const options = { byPrefix: true, only: '', everything: false };

let active = null; // the graph shown

// rerender draws the map again in place (another group, every server).
async function rerender(view, gen) {
  view.dataset.ready = 'false';
  await renderMap(view, gen);
  if (current(gen)) view.dataset.ready = 'true';
}

export async function renderMap(view, gen) {
  if (active) {
    active.destroy();
    active = null;
  }
  const t0 = performance.now();
  const m = await consoleRead('GetNetworkMap', {});
  if (!current(gen)) return;
  const t1 = performance.now();
  const box = h('div', { id: 'cy' });
  const info = h('p', { class: 'muted', id: 'map-info' });
  const groupsOf = groups(m.nodes);
  const only = h('select', { name: 'only', id: 'map-only' }, h('option', { value: '' }, 'all applications'),
    groupsOf.map((g) => h('option', { value: g.key, selected: options.only === g.key }, `${g.label} (${g.nodes.length})`)));
  const byPrefix = h('input', { type: 'checkbox', checked: options.byPrefix });
  const search = h('input', { placeholder: 'host name', id: 'map-search' });
  let cy;
  const toolbar = h('div', { class: 'toolbar' },
    h('label', {}, 'Show', only),
    h('label', {}, h('span', {}, 'Group servers without an application by host name prefix'), byPrefix),
    h('button', { type: 'button', class: 'secondary', onclick: () => cy.fit(undefined, 30) }, 'Fit'),
    h('button', { type: 'button', class: 'secondary', onclick: () => cy.zoom({ level: cy.zoom() * 1.5, renderedPosition: center(cy) }) }, 'Zoom in'),
    h('button', { type: 'button', class: 'secondary', onclick: () => cy.zoom({ level: cy.zoom() / 1.5, renderedPosition: center(cy) }) }, 'Zoom out'),
    h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); find(cy, search.value); } }, h('label', {}, 'Find', search), h('button', { type: 'submit', class: 'secondary' }, 'Go')));
  only.addEventListener('change', () => { options.only = only.value; options.everything = false; rerender(view, gen); });
  byPrefix.addEventListener('change', () => { options.byPrefix = byPrefix.checked; options.only = ''; rerender(view, gen); });
  const notes = [];
  if (m.nodesTruncated) notes.push(`only the first ${fmtNum(m.nodes.length, 0)} servers are drawn`);
  if (m.edgesTruncated) notes.push(`only the ${fmtNum(m.edges.length, 0)} busiest edges are drawn`);
  view.replaceChildren(h('h1', {}, 'Network dependency map'), toolbar, info, box);
  const overview = !options.only && !options.everything && m.nodes.length > OVERVIEW_ABOVE;
  cy = overview ? drawOverview(box, m, groupsOf, (key) => { options.only = key; rerender(view, gen); })
    : draw(box, m, groupsOf, options.only);
  // How long the call and the drawing took (the timings of tests/console).
  view.dataset.fetchMs = String(Math.round(t1 - t0));
  view.dataset.drawMs = String(Math.round(performance.now() - t1));
  if (overview) {
    info.replaceChildren(`Overview of ${fmtNum(m.nodes.length, 0)} servers in ${fmtNum(groupsOf.length, 0)} groups, ` +
      `${fmtNum(cy.edges().length, 0)} edges between groups (width grows with the connections counted)` +
      `${notes.length ? '; ' + notes.join(', ') : ''}. Click a group to draw its servers, or `,
    h('button', { type: 'button', class: 'secondary', id: 'map-everything', onclick: () => { options.everything = true; rerender(view, gen); } }, 'draw every server'), '.');
  } else {
    const shown = cy.nodes('[!group]').length;
    info.textContent = `${fmtNum(shown, 0)} servers, ${fmtNum(cy.edges().length, 0)} edges (connections between known servers; ` +
      `width grows with the connections counted)${notes.length ? '; ' + notes.join(', ') : ''}. Click a server to open it.`;
  }
  active = cy;
  window.poseidonMap = cy; // for the browser tests and the curious
  const leave = () => {
    window.removeEventListener('poseidon:leave', leave);
    if (active === cy) {
      cy.destroy();
      active = null;
      delete window.poseidonMap;
    }
  };
  window.addEventListener('poseidon:leave', leave);
}

function center(cy) {
  return { x: cy.width() / 2, y: cy.height() / 2 };
}

// groups puts the nodes under their application, or else (with byPrefix)
// under their host name's first word.
function groups(nodes) {
  const byKey = new Map();
  for (const [i, n] of nodes.entries()) {
    let key = 'app:' + n.applicationId;
    let label = n.applicationName;
    if (!n.applicationId) {
      const prefix = hostGroup(n.hostName);
      key = options.byPrefix && prefix ? 'host:' + prefix : 'none';
      label = options.byPrefix && prefix ? `${prefix}-* (no application)` : '(no application)';
    }
    if (!byKey.has(key)) byKey.set(key, { key, label, nodes: [] });
    byKey.get(key).nodes.push(i);
  }
  return [...byKey.values()].sort((a, b) => b.nodes.length - a.nodes.length || a.label.localeCompare(b.label));
}

// hostGroup is the part of a host name that names its application by the
// usual convention <application>-<role><number>: "hr-portal" of
// "hr-portal-app-01.prod.example.com", "billing-2" of "billing-2-web-01";
// else its first word.
function hostGroup(host) {
  const label = (host || '').split('.')[0];
  const m = /^(.+?)-[a-z]+-?\d+$/i.exec(label);
  return m ? m[1] : label.split('-')[0];
}

function draw(box, m, groupsOf, only) {
  let visible = null;
  if (only) {
    // The chosen group and the servers it talks to.
    const g = groupsOf.find((x) => x.key === only);
    visible = new Set(g ? g.nodes : []);
    const core = new Set(visible);
    for (const [s, d] of m.edges) {
      if (core.has(s)) visible.add(d);
      if (core.has(d)) visible.add(s);
    }
  }
  // Shelf packing: groups left to right, a new shelf when the row is full;
  // each group a grid of its servers.
  // The shelves are as wide as makes the whole drawing take the box's
  // aspect ratio.
  const sizes = groupsOf.map((g) => (visible ? g.nodes.filter((i) => visible.has(i)) : g.nodes).length);
  const area = sizes.reduce((sum, n) => {
    if (!n) return sum;
    const cols = Math.ceil(Math.sqrt(n));
    return sum + (cols + 0.4) * SPACING * (Math.ceil(n / cols) + 0.5) * SPACING;
  }, 0);
  const aspect = Math.max(0.5, Math.min(4, box.clientWidth / Math.max(1, box.clientHeight)));
  const rowWidth = Math.max(4 * SPACING, Math.sqrt(area * aspect));
  const elements = [];
  let x = 0, y = 0, shelf = 0;
  const maxTraffic = Math.max(1, ...m.edges.slice(0, 1).map((e) => e[2]));
  groupsOf.forEach((g, gi) => {
    const members = visible ? g.nodes.filter((i) => visible.has(i)) : g.nodes;
    if (!members.length) return;
    const cols = Math.ceil(Math.sqrt(members.length));
    const rows = Math.ceil(members.length / cols);
    const w = cols * SPACING, hgt = rows * SPACING;
    if (x > 0 && x + w > rowWidth) { x = 0; y += shelf + SPACING * 0.5; shelf = 0; }
    const color = palette[gi % palette.length];
    elements.push({ group: 'nodes', data: { id: 'g:' + g.key, label: g.label, group: true, color } });
    members.forEach((i, k) => {
      const n = m.nodes[i];
      elements.push({ group: 'nodes', data: { id: n.id, label: (n.hostName || n.id).split('.')[0], parent: 'g:' + g.key, color },
        position: { x: x + (k % cols) * SPACING, y: y + Math.floor(k / cols) * SPACING } });
    });
    x += w + SPACING * 0.4;
    shelf = Math.max(shelf, hgt);
  });
  const many = m.edges.length > 4000;
  for (const [s, d, traffic, ports] of m.edges) {
    if (visible && !(visible.has(s) && visible.has(d))) continue;
    const width = 1 + 6 * Math.log1p(traffic) / Math.log1p(maxTraffic);
    elements.push({ group: 'edges', data: { id: `e${s}-${d}`, source: m.nodes[s].id, target: m.nodes[d].id, traffic, ports, width } });
  }
  return cytoscape({
    container: box,
    elements,
    layout: { name: 'preset', fit: true, padding: 30 },
    minZoom: 0.02,
    maxZoom: 4,
    wheelSensitivity: 0.3,
    pixelRatio: 1,
    textureOnViewport: many,
    hideEdgesOnViewport: many,
    boxSelectionEnabled: false,
    style: [
      { selector: 'node', style: { 'background-color': 'data(color)', label: 'data(label)', 'font-size': 10, 'min-zoomed-font-size': 7,
        'text-valign': 'bottom', 'text-margin-y': 3, width: 18, height: 18, color: '#1d2330' } },
      { selector: 'node[?group]', style: { 'background-opacity': 0.06, 'border-width': 1, 'border-color': 'data(color)', shape: 'round-rectangle',
        'text-valign': 'top', 'text-halign': 'center', 'font-size': 14, 'font-weight': 'bold', color: 'data(color)', padding: 16, 'min-zoomed-font-size': 4 } },
      { selector: 'edge', style: { width: 'data(width)', 'line-color': '#8792a2', opacity: 0.55,
        'curve-style': many ? 'haystack' : 'bezier', 'target-arrow-shape': many ? 'none' : 'triangle', 'target-arrow-color': '#8792a2', 'arrow-scale': 0.8 } },
      { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#111' } },
      { selector: '.found', style: { 'border-width': 4, 'border-color': '#fa5252', width: 28, height: 28 } },
    ],
  }).on('tap', 'node[!group]', (e) => {
    location.hash = '#/server/' + encodeURIComponent(e.target.id());
  });
}

// drawOverview draws one node per group (its size growing with its
// servers) and the traffic between groups; open(key) draws a group.
function drawOverview(box, m, groupsOf, open) {
  const groupOf = new Int32Array(m.nodes.length);
  groupsOf.forEach((g, gi) => g.nodes.forEach((i) => { groupOf[i] = gi; }));
  const between = new Map();
  for (const [s, d, traffic] of m.edges) {
    const a = groupOf[s], b = groupOf[d];
    if (a === b) continue;
    const k = a + ':' + b;
    between.set(k, (between.get(k) || 0) + traffic);
  }
  const cols = Math.ceil(Math.sqrt(groupsOf.length * 1.8));
  const elements = groupsOf.map((g, gi) => ({ group: 'nodes', data: { id: 'g:' + g.key, key: g.key, label: `${g.label} (${g.nodes.length})`,
    color: palette[gi % palette.length], size: 16 + 4 * Math.sqrt(g.nodes.length) }, position: { x: (gi % cols) * 220, y: Math.floor(gi / cols) * 180 } }));
  const max = Math.max(1, ...between.values());
  for (const [k, traffic] of between) {
    const [a, b] = k.split(':').map(Number);
    elements.push({ group: 'edges', data: { id: 'ge' + k, source: 'g:' + groupsOf[a].key, target: 'g:' + groupsOf[b].key, traffic,
      width: 1 + 8 * Math.log1p(traffic) / Math.log1p(max) } });
  }
  return cytoscape({
    container: box, elements, layout: { name: 'preset', fit: true, padding: 30 }, minZoom: 0.05, maxZoom: 4, wheelSensitivity: 0.3,
    pixelRatio: 1, boxSelectionEnabled: false,
    style: [
      { selector: 'node', style: { 'background-color': 'data(color)', label: 'data(label)', width: 'data(size)', height: 'data(size)',
        'font-size': 13, 'text-valign': 'bottom', 'text-margin-y': 4, color: '#1d2330' } },
      { selector: 'edge', style: { width: 'data(width)', 'line-color': '#8792a2', opacity: 0.6, 'curve-style': 'bezier',
        'target-arrow-shape': 'triangle', 'target-arrow-color': '#8792a2' } },
    ],
  }).on('tap', 'node', (e) => open(e.target.data('key')));
}

function find(cy, text) {
  cy.nodes().removeClass('found');
  const q = text.trim().toLowerCase();
  if (!q) return;
  const hits = cy.nodes('[!group]').filter((n) => n.data('label').toLowerCase().includes(q));
  hits.addClass('found');
  if (hits.length) cy.animate({ fit: { eles: hits, padding: 80 } }, { duration: 300 });
}
