// Small DOM helpers: h builds elements, table renders rows.

// h('a', {href: '#/x', class: 'c'}, 'text', child...) makes an element;
// attributes starting with "on" are listeners. Text is never parsed as HTML.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// table(columns, rows): columns are {title, value(row), num?}.
export function table(columns, rows, empty = 'Nothing to show.') {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('table', {},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.num ? 'num' : '' }, c.title)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.num ? 'num' : '' }, c.value(r)))))));
}

export function status(s) {
  return h('span', { class: 'status ' + (s || '') }, s || '—');
}

export function serverLink(id, text) {
  return h('a', { href: '#/server/' + encodeURIComponent(id), 'data-server-id': id }, text || id);
}

export function fmtTime(v) {
  if (v === undefined || v === null || v === '') return '—';
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
  return isNaN(d) ? String(v) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function fmtNum(v, digits = 1) {
  const n = Number(v);
  if (v === undefined || v === '' || isNaN(n)) return '—';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

export function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, (err.type ? err.type + ': ' : '') + err.message);
}

// pager keeps the tokens of the pages seen, for Previous and Next.
export class Pager {
  constructor(load) {
    this.load = load;
    this.tokens = [undefined];
    this.index = 0;
  }
  async first() {
    this.tokens = [undefined];
    this.index = 0;
    return this.show();
  }
  async show() {
    const next = await this.load(this.tokens[this.index]);
    this.tokens[this.index + 1] = next;
    return next;
  }
  controls(onChange) {
    const prev = h('button', { class: 'secondary', type: 'button', disabled: this.index === 0, onclick: async () => { this.index--; await this.show(); onChange(); } }, '← Previous');
    const next = h('button', { class: 'secondary', type: 'button', 'data-next': true, disabled: !this.tokens[this.index + 1], onclick: async () => { this.index++; await this.show(); onChange(); } }, 'Next →');
    return h('div', { class: 'pager' }, prev, h('span', { class: 'muted' }, 'page ' + (this.index + 1)), next);
  }
}
